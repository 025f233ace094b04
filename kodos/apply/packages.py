"""pacman and aur changes: one install transaction, reason updates, one removal transaction.

pacman runs on the host against the target: `--root`, `--dbpath`, `--config`, `--cachedir`,
`--hookdir`, `--gpgdir` and `--logfile` all point inside it, so the target's own configuration,
keyring, hooks and cache are used and nothing of the host's pacman setup is read or written.
pacman would follow a link among them on the host (a `var/log/pacman.log` linked to a host
file would get the log appended), so each is resolved inside the target first, as the
machine's own pacman would see it, and must be what pacman expects there
(`kodos.system.rootfs.tool_path`).
pacman does not prefix `Include` paths with the root: `--config` is therefore a rendered copy
of the target's pacman.conf with every file it includes inlined, read inside the target
(`kodos.pacman.confread.rendered`), so the new generation's own mirror list is the one used.

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
* An upgrade (`--upgrade`: the plan has package version updates) is the same ONE transaction
  as `-Su`: the target's sync databases were replaced by the ones the plan read
  (`copy_sync_databases`), so what is installed is what the plan showed.
* A failure's message carries pacman's own detail lines (which file conflicts with which
  package, which dependency cannot be satisfied), paths named as inside the target. A failed
  scriptlet or hook fails the step too: pacman exits 0 for it, but a generation whose package
  scripts failed is not one to boot into.
* AUR packages were built before the snapshot was taken (`kodos.apply.aur`) into the local
  repository `[kodos-aur]` (`Work.aur_repository`); the rendered configuration adds that
  section, its database is put into the target's sync directory for the transaction (no `-y`:
  the other databases stay as the plan read them) and taken out again, and the same ONE `-S`
  transaction names them `kodos-aur/NAME`, so no other repository's package of that name is
  taken; rollback covers them as any package. Removing one is an ordinary `pacman -R`.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from kodos.apply.chroot import api_filesystems
from kodos.apply.work import Work, failing_as
from kodos.errors import KodosError
from kodos.pacman import confread
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
# pacman exits 0 when a scriptlet or hook fails; these lines say it happened.
SCRIPTLET_FAILURES = ("call to execv failed", "error: command failed to execute correctly")
_ERROR = re.compile(r"^error: ", re.MULTILINE)
# pacman's lines saying why a transaction failed (pacman/sync.c, pacman/util.c): a broken or
# unsatisfiable dependency, packages in conflict, a file conflict, a damaged package.
_DETAIL = re.compile(
    r"^:: .*(breaks dependency|unable to satisfy|are in conflict|conflicts with)"
    r"|exists in (filesystem|both)|is invalid or corrupted|: no such package"
)
SYNC_DIR = "/var/lib/pacman/sync"
UPGRADE_STEP = "upgrade packages"


class ScriptletFailed(KodosError):
    """pacman finished (exit 0) but a package scriptlet or hook failed."""


def pacman_argv(target: Path, *args: str, config: str | None = None) -> list[str]:
    """pacman confined to `target`: its database, configuration, cache, hooks, keyring, log,
    each resolved inside the target (`UnsafePath` when one is not what pacman expects).
    `config` replaces the target's pacman.conf (with `rendered_config`'s copy)."""
    paths = [[option, tool_path(target, path, kind)] for option, path, kind in PACMAN_PATHS]
    if config is not None:
        paths = [[option, config if option == "--config" else value] for option, value in paths]
    return [
        "pacman",
        "--root", str(target),
        *(word for pair in paths for word in pair),
        "--noconfirm",
        "--color", "never",
        *args,
    ]  # fmt: skip


def install(work: Work, changes: Sequence[Change]) -> None:
    """Install the created packages (with an upgrade: upgrading every package in the same
    transaction), then set the install reasons the updates ask for."""
    creates = [c for c in changes if c.action == Action.CREATE and c.provider == "pacman"]
    declared = [c for c in creates if c.named_to_pacman]  # pacman resolves the pulled-in ones
    built = aur_installs(changes)
    upgrades = upgraded([c for c in changes if c.provider == "pacman"])
    if upgrades:
        _upgrade(work, [*declared, *built], upgrades)
    elif declared or built:
        names = [*(c.name for c in declared), *(aur_target(c) for c in built)]
        args = ["-S", "--needed", "--noprogressbar", *names]
        with (
            failing_as(INSTALL_STEP, [*creates, *built]),
            api_filesystems(work.target, work.notes),
            aur_database(work),
        ):
            _pacman(work, INSTALL_STEP, args)
    if declared or built:
        mark_explicit(work, [*declared, *(c for c in built if c.action == Action.CREATE)])
    updates = [c for c in changes if c.action == Action.UPDATE and "reason" in c.changed]
    for reason in ("explicit", "dependency"):
        chosen = [c for c in updates if work.wanted(c).get("reason") == reason]
        if chosen:
            flag = "--asexplicit" if reason == "explicit" else "--asdeps"
            with failing_as(REASON_STEP, chosen):
                _pacman(work, REASON_STEP, ["-D", flag, *(c.name for c in chosen)])


def aur_installs(changes: Sequence[Change]) -> list[Change]:
    """The AUR packages to install from `[kodos-aur]`: new ones, and those whose version
    moves (a rebuild at another commit)."""
    return [
        c
        for c in changes
        if c.provider == "aur"
        and (c.action == Action.CREATE or (c.action == Action.UPDATE and "version" in c.changed))
    ]


@contextmanager
def aur_database(work: Work) -> Iterator[None]:
    """The local AUR repository's database in the target's sync directory for the block
    (pacman reads a repository's packages from there), never left in the generation."""
    if work.aur_repository is None:
        yield
        return
    from kodos.aur.localrepo import REPO_NAME, LocalRepo

    Path(tool_path(work.target, SYNC_DIR, "a directory")).mkdir(parents=True, exist_ok=True)
    copy = Path(tool_path(work.target, f"{SYNC_DIR}/{REPO_NAME}.db", "a regular file"))
    shutil.copyfile(LocalRepo(work.aur_repository).database, copy)
    try:
        yield
    finally:
        copy.unlink(missing_ok=True)


def aur_target(change: Change) -> str:
    """`kodos-aur/NAME`: the package from the local AUR repository, whatever else is named so."""
    from kodos.aur.localrepo import REPO_NAME

    return f"{REPO_NAME}/{change.name}"


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


def upgraded(changes: Sequence[Change]) -> list[Change]:
    """The package updates of an upgrade: a new version (`kodos.plan.upgrade`)."""
    return [c for c in changes if c.action == Action.UPDATE and "version" in c.changed]


def _upgrade(work: Work, creates: Sequence[Change], upgrades: Sequence[Change]) -> None:
    """ONE `-Su` transaction: every package the target's (replaced) sync databases offer a
    newer version of, and the created packages."""
    names = [aur_target(c) if c.provider == "aur" else c.name for c in creates]
    with (
        failing_as(UPGRADE_STEP, [*upgrades, *creates]),
        api_filesystems(work.target, work.notes),
        aur_database(work),
    ):
        _pacman(work, UPGRADE_STEP, ["-Su", "--needed", "--noprogressbar", *names])


def copy_sync_databases(
    directory: Path, repos: Sequence[str], target: Path, suffixes: Sequence[str] = (".db",)
) -> None:
    """Put the sync databases a plan read (`directory/REPO.db`; with `suffixes` `.files`, the
    file lists, when there) into the target's sync directory, replacing its own: the upgrade
    installs what the plan showed. The running generation's databases are not touched (the
    target is a snapshot)."""
    sync = Path(tool_path(target, SYNC_DIR, "a directory"))
    sync.mkdir(parents=True, exist_ok=True)
    for repo in repos:
        for suffix in suffixes:
            source = directory / f"{repo}{suffix}"
            if source.is_file():
                copy = tool_path(target, f"{SYNC_DIR}/{repo}{suffix}", "a regular file")
                shutil.copy2(source, copy)  # keeps the date the mirror gave it


@contextmanager
def rendered_config(target: Path, repositories: str = "") -> Iterator[str]:
    """A private copy of the target's pacman.conf with every `Include` inlined from inside the
    target, and the `repositories` sections (`[kodos-aur]`) after its own, for pacman's
    `--config`; removed afterwards (it never lands in the generation)."""
    rendered = confread.rendered(target)
    if repositories:
        rendered = rendered.rstrip("\n") + "\n\n" + repositories
    with tempfile.TemporaryDirectory(prefix="kodos-pacman-") as directory:
        path = Path(directory) / "pacman.conf"
        path.write_text(rendered, encoding="utf-8")
        yield str(path)


def run_pacman(
    target: Path, args: Sequence[str], repositories: str = ""
) -> subprocess.CompletedProcess[str]:
    """pacman on the target with its rendered configuration (plus `repositories` sections);
    a failure (or a failed scriptlet or hook) raises `CommandFailed` carrying pacman's own
    lines."""
    from kodos.apply.log import log_line, log_output

    log_line("pacman " + " ".join(args))
    with rendered_config(target, repositories) as config:
        done = run(pacman_argv(target, *args, config=config), check=False)
    log_output(done.stdout + done.stderr)
    if done.returncode != 0:
        failed = failure(done)
        message = failure_message(done, str(target)) or failed.message
        raise CommandFailed(failed.argv, failed.exit_code, failed.output, message=message)
    scriptlets = scriptlet_failures(done.stdout, done.stderr)
    if scriptlets:
        raise ScriptletFailed(scriptlets)
    return done


def _pacman(work: Work, step: str, args: list[str]) -> None:
    """Run pacman on the target (`run_pacman`); warnings (`installed as .pacnew`, `saved as
    .pacsave`) become notes."""
    done = run_pacman(work.target, args, _aur_section(work))
    work.notes.extend(f"{step}: {note}" for note in pacman_notes(done.stdout + done.stderr))


def _aur_section(work: Work) -> str:
    if work.aur_repository is None:
        return ""
    from kodos.aur.localrepo import LocalRepo

    return LocalRepo(work.aur_repository).pacman_section()


def failure_message(done: subprocess.CompletedProcess[str], target: str) -> str:
    """pacman's `error:` lines, each followed by the detail lines that explain it, paths named
    as inside the target: `failed to commit transaction (conflicting files): htop:
    /usr/bin/tool exists in filesystem (owned by tool)`."""
    lines = done.stderr.splitlines()
    errors = [line.strip().removeprefix("error: ") for line in lines if _ERROR.match(line)]
    details = [line.strip() for line in done.stdout.splitlines() if _DETAIL.search(line)]
    details = [line.replace(target.rstrip("/") + "/", "/") for line in details]
    if not errors:
        return "; ".join(details)
    return "; ".join(errors) + (": " + "; ".join(details) if details else "")


def scriptlet_failures(stdout: str, stderr: str) -> str | None:
    """The message for scriptlets or hooks pacman reported failing (it exits 0 for them):
    its error lines and the last lines of output before them, where the scriptlet spoke."""
    errors = [line.strip() for line in stderr.splitlines() if _scriptlet_failed(line)]
    errors += [line.strip() for line in stdout.splitlines() if _scriptlet_failed(line)]
    if not errors:
        return None
    spoken = [line.strip() for line in stdout.splitlines() if line.strip()]
    # what came after pacman's last heading (":: Processing package changes...", ":: Running
    # post-transaction hooks..."): the package or hook at work, and what its script said
    headings = [number for number, line in enumerate(spoken) if line.startswith(":: ")]
    context = spoken[headings[-1] + 1 if headings else 0 :][-3:]
    said = " | ".join(context)
    return f"a package scriptlet or hook failed ({'; '.join(dict.fromkeys(errors))}) after: {said}"


def _scriptlet_failed(line: str) -> bool:
    return any(marker in line for marker in SCRIPTLET_FAILURES)


def pacman_notes(output: str) -> list[str]:
    """pacman's warnings (`installed as .pacnew`, `saved as .pacsave`), as notes."""
    lines = [line.strip() for line in output.splitlines()]
    return [f"pacman {line}" for line in lines if line.startswith("warning: ")]
