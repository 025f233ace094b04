"""pacman and aur changes: one install transaction, reason updates, one removal transaction.

pacman runs on the host against the target: `--root`, `--dbpath`, `--config`, `--cachedir`,
`--hookdir`, `--gpgdir` and `--logfile` all point inside it, so the target's own configuration,
keyring, hooks and cache are used and nothing of the host's pacman setup is read or written.
pacman would follow a link among them on the host (a `var/log/pacman.log` linked to a host
file would get the log appended), so each is resolved inside the target first, as the
machine's own pacman would see it, and must be what pacman expects there
(`kodos.system.rootfs.tool_path`).
(A `pacman.conf` `Include = /etc/pacman.d/mirrorlist` is still read from the host: pacman does
not prefix Include paths with the root. On a machine kodos manages the host is the running
generation, whose mirror list the target was snapshotted from.)

* Installs are ONE `-S --needed` transaction: pacman resolves dependencies, conflicts and
  file conflicts of the whole set together, and a failure installs nothing. The named
  packages are installed explicitly, what they pull in as dependencies (`--asexplicit` would
  mark those explicit too, and a later `-Rs` could never take them away again).
  No `-y`: refreshing the sync databases without upgrading is a partial upgrade, and the plan
  was resolved against the databases the target has.
* Reason updates are `-D --asexplicit` / `--asdeps` (the package is already there).
* Removals are ONE `-Rs` transaction, after units are disabled: `-s` also removes the
  dependencies only the removed packages needed (never an explicitly installed one), so
  removing a package from the configuration undoes what installing it did instead of leaving
  orphans. A package another installed package still depends on is not removed — pacman would
  refuse the whole transaction — but marked as a dependency, with a note.
* AUR packages cannot be built yet: a create of one that is not installed is refused before
  anything changes (`aur_problems`). Removing one is an ordinary `pacman -R`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from kodos.apply.chroot import api_filesystems
from kodos.apply.work import Work, failing_as
from kodos.pacman.localdb import InstalledPackage, read_local_packages
from kodos.pacman.removal import kept_packages
from kodos.plan.model import Action, Change
from kodos.system.rootfs import tool_path
from kodos.system.runner import CommandFailed, failure, run

CACHE_DIR = "var/cache/pacman/pkg"  # inside the target: where packages are downloaded to
FILE, DIRECTORY = "a regular file", "a directory"
# pacman's options naming a path in the target, with the path and what must be there.
PACMAN_PATHS = (
    ("--dbpath", "/var/lib/pacman", DIRECTORY),
    ("--config", "/etc/pacman.conf", FILE),
    ("--cachedir", f"/{CACHE_DIR}", DIRECTORY),
    ("--hookdir", "/etc/pacman.d/hooks", DIRECTORY),
    ("--gpgdir", "/etc/pacman.d/gnupg", DIRECTORY),
    ("--logfile", "/var/log/pacman.log", FILE),
)
INSTALL_STEP = "install packages"
REMOVE_STEP = "remove packages"
REASON_STEP = "set install reasons"
AUR_NOT_BUILT = "building AUR packages is not implemented yet"
# pacman exits 0 when a scriptlet or hook fails; these lines say it happened.
SCRIPTLET_FAILURES = ("call to execv failed", "error: command failed to execute correctly")
_ERROR = re.compile(r"^error: ", re.MULTILINE)


def pacman_argv(target: Path, *args: str) -> list[str]:
    """pacman confined to `target`: its database, configuration, cache, hooks, keyring, log,
    each resolved inside the target (`UnsafePath` when one is not what pacman expects)."""
    paths = [[option, tool_path(target, path, kind)] for option, path, kind in PACMAN_PATHS]
    return [
        "pacman",
        "--root", str(target),
        *(word for pair in paths for word in pair),
        "--noconfirm",
        "--color", "never",
        *args,
    ]  # fmt: skip


def aur_problems(target: Path, changes: Sequence[Change]) -> list[tuple[str, str]]:
    """AUR creates that would need a build (their package is not installed): (address, why)."""
    creates = [c for c in changes if c.provider == "aur" and c.action == Action.CREATE]
    if not creates:
        return []
    installed = read_local_packages(target)
    return [
        (c.address, f"{AUR_NOT_BUILT}: {c.address}") for c in creates if c.name not in installed
    ]


def install(work: Work, changes: Sequence[Change]) -> None:
    """Install the created packages, then set the install reasons the updates ask for."""
    creates = [c for c in changes if c.action == Action.CREATE and c.provider == "pacman"]
    declared = [c for c in creates if c.named_to_pacman]  # pacman resolves the pulled-in ones
    if declared:
        args = ["-S", "--needed", "--noprogressbar", *(c.name for c in declared)]
        with failing_as(INSTALL_STEP, creates), api_filesystems(work.target, work.notes):
            _pacman(work, INSTALL_STEP, args)
        mark_explicit(work, declared)
    updates = [c for c in changes if c.action == Action.UPDATE]
    for reason in ("explicit", "dependency"):
        chosen = [c for c in updates if work.wanted(c).get("reason") == reason]
        if chosen:
            flag = "--asexplicit" if reason == "explicit" else "--asdeps"
            with failing_as(REASON_STEP, chosen):
                _pacman(work, REASON_STEP, ["-D", flag, *(c.name for c in chosen)])


def mark_explicit(work: Work, declared: Sequence[Change]) -> None:
    """Mark the declared packages explicitly installed, once `-S` installed them.

    `-S` without `--asexplicit` installs what the packages pull in as dependencies (the plan
    shows them so, and a later `-Rs` can take them away again); a declared package that was
    already installed as a dependency keeps that reason through `--needed`, so the declared
    ones are set explicit afterwards, each of them.
    """
    if declared:
        with failing_as(REASON_STEP, declared):
            _pacman(work, REASON_STEP, ["-D", "--asexplicit", *(c.name for c in declared)])


def remove(work: Work, changes: Sequence[Change]) -> None:
    """Remove the deleted packages in one transaction; keep, as dependencies, those another
    installed package still needs."""
    with failing_as(REMOVE_STEP, changes):
        installed = read_local_packages(work.target)
        removing = {c.name for c in changes if c.name in installed and c.named_to_pacman}
        needed = still_required(removing, installed)
        if needed:
            _pacman(work, REMOVE_STEP, ["-D", "--asdeps", *sorted(needed)])
            for name, dependent in sorted(needed.items()):
                work.notes.append(
                    f"{name} is no longer configured but {dependent} depends on it: "
                    "kept, marked as installed as a dependency"
                )
        leaving = sorted(removing - needed.keys())
        if leaving:
            with api_filesystems(work.target, work.notes):
                _pacman(work, REMOVE_STEP, ["-R", "-s", "--noprogressbar", *leaving])


def still_required(removing: set[str], installed: Mapping[str, InstalledPackage]) -> dict[str, str]:
    """The packages of `removing` that a package staying installed needs: name → one package
    that needs it. The planner asks the same question (kodos/plan/removals.py), so a plan made
    from the machine already shows these as kept; this is what holds when it did not know."""
    return kept_packages(removing, installed)


def _pacman(work: Work, step: str, args: list[str]) -> None:
    """Run pacman on the target. A failure names every `error:` line pacman printed (one per
    missing package). Failed scriptlets and hooks (pacman exits 0 for them) and warnings
    (`installed as .pacnew`, `saved as .pacsave`) become notes."""
    done = run(pacman_argv(work.target, *args), check=False)
    if done.returncode != 0:
        failed = failure(done)
        errors = [line.strip() for line in done.stderr.splitlines() if _ERROR.match(line)]
        message = "; ".join(line.removeprefix("error: ") for line in errors) or failed.message
        raise CommandFailed(failed.argv, failed.exit_code, failed.output, message=message)
    work.notes.extend(f"{step}: {note}" for note in pacman_notes(done.stdout + done.stderr))


def pacman_notes(output: str) -> list[str]:
    notes = []
    lines = [line.strip() for line in output.splitlines()]
    for number, line in enumerate(lines):
        if any(marker in line for marker in SCRIPTLET_FAILURES):
            context = f"{lines[number - 1]} " if number else ""
            notes.append(f"a scriptlet or hook failed: {context}{line}")
        elif line.startswith("warning: "):
            notes.append(f"pacman {line}")
    return notes
