"""flatpak.app changes: the host's flatpak against the target's system installation.

`FLATPAK_SYSTEM_DIR=TARGET/var/lib/flatpak flatpak --system ...` installs into the target's
installation exactly as flatpak inside it would, without running anything in the target.

* create: `install -y --noninteractive REMOTE ID...`, one call per remote;
* replace (the app comes from another remote now): uninstall, then install from the new one;
* delete: `uninstall ID...`, then `uninstall --unused`, which removes the runtimes no
  installed app needs any more (flatpak pins runtimes installed explicitly, so those stay) —
  as `pacman -Rs` does for dependencies.

The remote itself must already be set up in the target's installation: an app resource
names it, but the remote's URL is not part of the plan. `remote_problems` says so before
anything changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kodos.apply.work import Work, failing_as
from kodos.plan.model import Action, Change
from kodos.system.rootfs import tool_path
from kodos.system.runner import run

INSTALLATION = "var/lib/flatpak"
INSTALL_STEP = "install Flatpak apps"
UNINSTALL_STEP = "uninstall Flatpak apps"
QUIET = ("-y", "--noninteractive")


def remote_problems(work: Work, changes: Sequence[Change]) -> list[tuple[str, str]]:
    """Installs from a remote the target's installation does not have: (address, why)."""
    if not changes:
        return []
    known = set(_remotes(work.target))
    problems = []
    for change in changes:
        remote = str(work.wanted(change)["remote"])
        if remote not in known:
            problems.append(
                (
                    change.address,
                    f"the Flatpak remote {remote!r} is not set up in the target's system "
                    f"installation (flatpak remote-add --system {remote} URL)",
                )
            )
    return problems


def install(work: Work, changes: Sequence[Change]) -> None:
    replaced = [c for c in changes if c.action == Action.REPLACE]
    if replaced:
        with failing_as(INSTALL_STEP, replaced):
            _flatpak(work.target, "uninstall", *QUIET, *(c.name for c in replaced))
    remotes: dict[str, list[Change]] = {}
    for change in changes:
        remotes.setdefault(str(work.wanted(change)["remote"]), []).append(change)
    for remote, chosen in sorted(remotes.items()):
        with failing_as(INSTALL_STEP, chosen):
            _flatpak(work.target, "install", *QUIET, remote, *(c.name for c in chosen))


def uninstall(work: Work, changes: Sequence[Change]) -> None:
    with failing_as(UNINSTALL_STEP, changes):
        _flatpak(work.target, "uninstall", *QUIET, *(c.name for c in changes))
        _flatpak(work.target, "uninstall", *QUIET, "--unused")


def _remotes(target: Path) -> list[str]:
    if not Path(tool_path(target, INSTALLATION, "a directory")).is_dir():
        return []
    return _flatpak(target, "remotes", "--columns=name").split()


def _flatpak(target: Path, *args: str) -> str:
    # The runner merges env over the caller's: a FLATPAK_SYSTEM_DIR of its own cannot leak in.
    # Resolved inside the target: flatpak would follow a link there out of it.
    env = {"FLATPAK_SYSTEM_DIR": tool_path(target, INSTALLATION, "a directory")}
    return run(["flatpak", "--system", *args], env=env).stdout
