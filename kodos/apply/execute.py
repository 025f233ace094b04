"""Apply a plan's changes to a root: `execute(changes, desired, target, esp=...) -> notes`.

In production `target` is a freshly snapshotted, privately mounted generation; nothing here
knows that. The plan's changes say what to do; `desired` (the resource set the plan was built
from) supplies what the plan redacts: password hashes and plain-text passwords.

Everything that can be checked without changing anything is checked first (`preflight`):
unsupported changes, AUR packages nothing built, secrets the caller did not pass,
names that would read as options, paths that try to leave the target, a Flatpak remote
missing or still in use, a missing ESP. Then the steps run in this order, each only when it
has work:

 0. configure repositories — the mirror list and pacman.conf's sections, before any pacman
    run: the packages come from the repositories the new generation has.
 1. install packages — one pacman transaction. Packages bring what the later steps use:
    login shells and groups (users), unit files (services), EFI programs (boot entries).
    They also come before kodos's files, because pacman refuses to install over a file it
    does not own, and kodos's version of a packaged file must win over the packaged default.
 2. configure Flatpak remotes, then install Flatpak apps from them — independent of the
    rest; early, so a network failure stops the run before accounts and files are touched.
 3. users — after packages (their shells and groups exist), before files.
 4. write files — before services: a unit file kodos writes (a mount unit) must exist to be
    enabled.
 5. enable units.
 Deletes then run in the reverse order of the providers, so what depends on something goes
 before it (docs/resources.md):
 6. disable units — while their unit files (from packages or kodos) still say which links
    to remove;
 7. delete files, 8. delete users, 9. uninstall Flatpak apps, then remove the remotes
    kodos added that the configuration dropped (flatpak refuses while apps from them stay);
 10. remove packages — one transaction, last: nothing uses them any more.
 11. follow-up commands (locale-gen, mkinitcpio -P) — once every file and package is final.
 12. the boot loader — last: it writes the ESP, which every generation shares and which is
    not rolled back with the snapshot, so it happens only once everything else succeeded.

A failure raises `StepFailed` naming the step and the resources; the target is then
half-changed and must be thrown away (the transaction discards the snapshot). Returns notes:
what was skipped or could not be done offline, failed package scriptlets, restored files.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kodos.apply import (
    bootloader,
    files,
    flatpak,
    flatpak_remotes,
    followups,
    packages,
    repos,
    services,
    users,
)
from kodos.apply.work import StepFailed, Work, unresolved_secrets
from kodos.plan.model import Action, Change
from kodos.resources import Resource
from kodos.steps import OnStep, StepId
from kodos.system.rootfs import UnsafePath, is_file_in_root, tool_path

Kind = tuple[str, str]
PACKAGES: frozenset[Kind] = frozenset({("pacman", "package"), ("aur", "package")})
REPOSITORIES: frozenset[Kind] = frozenset({("pacman", "repository"), ("pacman", "mirrorlist")})
FLATPAKS: frozenset[Kind] = frozenset({("flatpak", "app")})
REMOTES: frozenset[Kind] = frozenset({("flatpak", "remote")})
USERS: frozenset[Kind] = frozenset({("users", "user")})
FILES: frozenset[Kind] = frozenset({("files", "file"), ("files", "symlink")})
UNITS: frozenset[Kind] = frozenset({("services", "unit"), ("services", "user_unit")})
BOOT: frozenset[Kind] = frozenset({("bootloader", "loader"), ("bootloader", "entry")})

CREATE, UPDATE, REPLACE, DELETE = Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DELETE
CHANGES = frozenset({CREATE, UPDATE})
DELETES = frozenset({DELETE})
PREFLIGHT = "check the plan"
# Characters a value must not hold: it becomes one field of a passwd/group/shadow line, or
# one line of loader.conf or an entry file, and these would start another.
# Every character `str.splitlines` breaks a line at: the readers of these files split that
# way, so any one of them in a value would start another line there.
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
FORBIDDEN_IN_VALUES = {"users": ":" + LINE_BREAKS, "bootloader": LINE_BREAKS}


@dataclass(frozen=True, slots=True)
class ChangeStep:
    """One step of the applier: `on_step` hears `id` as it starts; it runs `apply` on the
    changes of `kinds` whose action is in `actions`."""

    id: StepId
    kinds: frozenset[Kind]
    actions: frozenset[Action]
    apply: Callable[[Work, list[Change]], None]

    def select(self, changes: Sequence[Change]) -> list[Change]:
        return [
            c for c in changes if (c.provider, c.kind) in self.kinds and c.action in self.actions
        ]


def _follow_ups(work: Work, changes: list[Change]) -> None:
    followups.run_follow_ups(work, followups.pending(changes))


INSTALL_FLATPAKS = ChangeStep(
    StepId.INSTALL_FLATPAKS, FLATPAKS, frozenset({CREATE, REPLACE}), flatpak.install
)
FOLLOW_UPS = ChangeStep(StepId.FOLLOW_UPS, FILES, frozenset(Action), _follow_ups)
BOOT_LOADER = ChangeStep(StepId.UPDATE_BOOTLOADER, BOOT, CHANGES | DELETES, bootloader.apply)
CHANGE_STEPS = (
    ChangeStep(StepId.CONFIGURE_REPOSITORIES, REPOSITORIES, CHANGES | DELETES, repos.apply),
    ChangeStep(StepId.INSTALL_PACKAGES, PACKAGES, CHANGES, packages.install),
    ChangeStep(StepId.CONFIGURE_FLATPAK_REMOTES, REMOTES, CHANGES, flatpak_remotes.configure),
    INSTALL_FLATPAKS,
    ChangeStep(StepId.UPDATE_USERS, USERS, CHANGES, users.apply),
    ChangeStep(StepId.WRITE_FILES, FILES, CHANGES, files.write),
    ChangeStep(StepId.ENABLE_UNITS, UNITS, CHANGES, services.enable),
    ChangeStep(StepId.DISABLE_UNITS, UNITS, DELETES, services.disable),
    ChangeStep(StepId.DELETE_FILES, FILES, DELETES, files.delete),
    ChangeStep(StepId.DELETE_USERS, USERS, DELETES, users.delete),
    ChangeStep(StepId.UNINSTALL_FLATPAKS, FLATPAKS, DELETES, flatpak.uninstall),
    ChangeStep(StepId.REMOVE_FLATPAK_REMOTES, REMOTES, DELETES, flatpak_remotes.remove),
    ChangeStep(StepId.REMOVE_PACKAGES, PACKAGES, DELETES, packages.remove),
    FOLLOW_UPS,
    BOOT_LOADER,
)


def execute(
    changes: Sequence[Change],
    desired: Mapping[str, Resource],
    target: Path,
    *,
    esp: Path | None,
    on_step: OnStep = lambda step: None,
    aur_repository: Path | None = None,
) -> list[str]:
    """Apply `changes` to the root at `target` (the ESP at `esp`, or the one found inside the
    target; AUR packages from the local repository `aur_repository`, built already); return
    notes for the user. Raises `StepFailed` (a KodosError)."""
    work = Work(target=target, desired=desired, aur_repository=aur_repository)
    preflight(work, changes, esp)
    for step in CHANGE_STEPS:
        chosen = step.select(changes)
        if step is FOLLOW_UPS and not followups.pending(chosen):
            continue
        if chosen:
            on_step(step.id)
            step.apply(work, chosen)
    return work.notes


def preflight(work: Work, changes: Sequence[Change], esp: Path | None) -> None:
    """Refuse, before changing anything, a plan that could only be applied in part; sets
    `work.esp` when a boot loader change needs it."""
    problems = {c.address: _change_problems(work, c) for c in changes}
    problems = {address: found for address, found in problems.items() if found}
    for address, problem in [
        *_pacman_conf_problems(work, changes),
        *_aur_problems(work, changes),
        *flatpak.remote_problems(work, changes),
        *_esp_problems(work, BOOT_LOADER.select(changes), esp),
    ]:
        problems.setdefault(address, []).append(problem)
    if problems:
        every = [problem for found in problems.values() for problem in found]
        raise StepFailed(PREFLIGHT, list(problems), "; ".join(every))


def _change_problems(work: Work, change: Change) -> list[str]:
    if not any(step.select([change]) for step in CHANGE_STEPS if step is not FOLLOW_UPS):
        return [f"kodos cannot {change.action.value} {change.address}"]
    problems = [_name_problem(change)]
    secrets = unresolved_secrets(work, change)
    if secrets:
        problems.append(
            f"{change.address}: {', '.join(secrets)} is redacted in the plan and the desired "
            "state passed to execute does not hold it"
        )
    if change.provider in FORBIDDEN_IN_VALUES and change.action != DELETE:
        problems += _value_problems(work, change, FORBIDDEN_IN_VALUES[change.provider])
    if change.kind == "package" and change.action == UPDATE and set(change.changed) - _UPDATABLE:
        problems.append(
            f"{change.address}: only the install reason of a package can change "
            "(and its version, with --upgrade)"
        )
    if change.kind == "entry" and change.action != DELETE:
        efi = work.wanted(change).get("efi")
        problems.append(files.path_problem(str(efi)) if efi is not None else None)
    return [problem for problem in problems if problem]


# What an update of a package may change: its reason, and its version in an upgrade (or, for
# an AUR package, a rebuild at another commit).
_UPDATABLE = frozenset({"reason", "version"})


def _name_problem(change: Change) -> str | None:
    if change.provider == "files" or (change.provider, change.kind) == ("pacman", "mirrorlist"):
        return files.path_problem(change.name)
    # A leading "-" would read as an option; systemctl takes a name with "/" for a path.
    if change.name.startswith("-") or any(char in change.name for char in "/\0\n"):
        return f"{change.address}: not a name kodos passes to a command"
    return None


def _value_problems(work: Work, change: Change, forbidden: str) -> list[str]:
    problems = []
    for key, value in work.changed_values(change).items():
        items = value if isinstance(value, list) else [value]
        if any(isinstance(item, str) and any(c in item for c in forbidden) for item in items):
            others = [repr(c) for c in forbidden if c not in LINE_BREAKS]
            shown = " or ".join([*others, "a line break"])
            problems.append(f"{change.address}: {key} must not contain {shown}")
    return problems


def _pacman_conf_problems(work: Work, changes: Sequence[Change]) -> list[tuple[str, str]]:
    """No pacman configuration, or one of pacman's paths leading where it must not."""
    chosen = [c for c in changes if (c.provider, c.kind) in PACKAGES]
    if not chosen:
        return []
    try:
        for _option, path, kind in packages.PACMAN_PATHS:
            tool_path(work.target, path, kind)
    except UnsafePath as err:
        return [(chosen[0].address, str(err))]
    if not is_file_in_root(work.target, "/etc/pacman.conf"):
        conf = work.target / "etc/pacman.conf"
        return [(chosen[0].address, f"{conf}: the target has no pacman configuration")]
    if not os.path.isdir(tool_path(work.target, "/var/lib/pacman", "a directory")):
        return [(chosen[0].address, "/var/lib/pacman: the target has no pacman database")]
    return []


def _aur_problems(work: Work, changes: Sequence[Change]) -> list[tuple[str, str]]:
    """AUR packages to install when no local repository of built ones was given: they are
    built before the snapshot (kodos.apply.aur), never here."""
    if work.aur_repository is not None:
        return []
    return [(c.address, f"{c.address}: {AUR_NOT_BUILT}") for c in packages.aur_installs(changes)]


# What _aur_problems says.
AUR_NOT_BUILT = "not built for this apply (no local AUR repository was given)"


def _esp_problems(work: Work, changes: Sequence[Change], esp: Path | None) -> list[tuple[str, str]]:
    if not changes:
        return []
    work.esp = bootloader.locate_esp(work.target, esp)
    if work.esp is not None and work.esp.is_dir():
        return []
    if esp is not None:
        problem = f"boot loader changes need the ESP: {esp} is not a directory"
    else:
        problem = (
            "boot loader changes need the ESP: none was given and the target has none "
            "(efi/, boot/efi/ or boot/ with loader/loader.conf or EFI/systemd)"
        )
    return [(changes[0].address, problem)]
