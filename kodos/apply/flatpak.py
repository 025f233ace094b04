"""flatpak.app changes: the host's flatpak against the target's system installation.

`FLATPAK_SYSTEM_DIR=TARGET/var/lib/flatpak flatpak --system ...` installs into the target's
installation exactly as flatpak inside it would, without running anything in the target.

* create: `install -y --noninteractive REMOTE ID...`, one call per remote;
* replace (the app comes from another remote now): uninstall, then install from the new one;
* delete: `uninstall ID...`, then `uninstall --unused`, which removes the runtimes no
  installed app needs any more (flatpak pins runtimes installed explicitly, so those stay) —
  as `pacman -Rs` does for dependencies.

Remotes are resources of their own (`flatpak.remote`, kodos/apply/flatpak_remotes.py), set up
before the apps and removed after them. `remote_problems` refuses, before anything changes, an
install from a remote that is neither being set up nor in the target's installation, and the
removal of a remote apps installed from it would outlive.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from kodos.apply.work import Work, failing_as
from kodos.plan.model import Action, Change
from kodos.providers import Scope
from kodos.providers.flatpak import read as read_installation
from kodos.system.rootfs import tool_path
from kodos.system.runner import run

INSTALLATION = "var/lib/flatpak"
INSTALL_STEP = "install Flatpak apps"
UNINSTALL_STEP = "uninstall Flatpak apps"
QUIET = ("-y", "--noninteractive")
INSTALLS = (Action.CREATE, Action.REPLACE)
DELETE = Action.DELETE
APP, REMOTE = ("flatpak", "app"), ("flatpak", "remote")


def remote_problems(work: Work, changes: Sequence[Change]) -> list[tuple[str, str]]:
    """Problems with the remotes the plan's Flatpak changes need: (address, why)."""
    remotes = [c for c in changes if (c.provider, c.kind) == REMOTE]
    installs = [c for c in changes if (c.provider, c.kind) == APP and c.action in INSTALLS]
    removed = {c.name for c in remotes if c.action == DELETE}
    problems = [_url_problem(work, c) for c in remotes if c.action != DELETE]
    if not installs and not removed:
        return [problem for problem in problems if problem is not None]
    found = read_installation(work.target, Scope()).resources
    present = {r.name for r in found if r.kind == "remote"}
    known = (present | {c.name for c in remotes}) - removed
    for change in installs:
        remote = str(work.wanted(change)["remote"])
        if remote not in known:
            why = (
                f"the Flatpak remote {remote!r} is neither in the configuration nor set up in "
                f"the target's system installation: add it with repos.flatpak_repo({remote!r}, "
                "URL)"
            )
            problems.append((change.address, why))
    uninstalled = {c.name for c in changes if (c.provider, c.kind) == APP and c.action == DELETE}
    for change in (c for c in remotes if c.name in removed):
        staying = sorted(
            r.name
            for r in found
            if r.kind == "app"
            and r.attributes.get("remote") == change.name
            and r.name not in uninstalled
        )
        if staying:
            why = (
                f"the Flatpak remote {change.name!r} cannot be removed: {', '.join(staying)} "
                "installed from it would stay (uninstall them, or keep the remote in the "
                "configuration)"
            )
            problems.append((change.address, why))
    return [problem for problem in problems if problem is not None]


URL_SCHEMES = ("http://", "https://", "file://")


def _url_problem(work: Work, change: Change) -> tuple[str, str] | None:
    # Validated in the configuration; checked again, because a saved plan is a file.
    url = work.wanted(change).get("url")
    if isinstance(url, str) and url.startswith(URL_SCHEMES) and not any(c.isspace() for c in url):
        return None
    return (
        change.address,
        f"{url!r} is not a remote URL kodos hands flatpak (http(s):// or file://)",
    )


def install(work: Work, changes: Sequence[Change]) -> None:
    replaced = [c for c in changes if c.action == Action.REPLACE]
    if replaced:
        with failing_as(INSTALL_STEP, replaced):
            run_flatpak(work.target, "uninstall", *QUIET, *(c.name for c in replaced))
    remotes: dict[str, list[Change]] = {}
    for change in changes:
        remotes.setdefault(str(work.wanted(change)["remote"]), []).append(change)
    for remote, chosen in sorted(remotes.items()):
        with failing_as(INSTALL_STEP, chosen):
            run_flatpak(work.target, "install", *QUIET, remote, *(c.name for c in chosen))


def uninstall(work: Work, changes: Sequence[Change]) -> None:
    with failing_as(UNINSTALL_STEP, changes):
        run_flatpak(work.target, "uninstall", *QUIET, *(c.name for c in changes))
        run_flatpak(work.target, "uninstall", *QUIET, "--unused")


def run_flatpak(target: Path, *args: str) -> str:
    """`flatpak --system ARGS` on the target's system installation; its output."""
    # Resolved inside the target: flatpak would follow a link there out of it.
    return flatpak_in(tool_path(target, INSTALLATION, "a directory"), *args)


def flatpak_in(installation: str, *args: str) -> str:
    """`flatpak --system ARGS` on the system installation in the host directory
    `installation`."""
    # The runner merges env over the caller's: a FLATPAK_SYSTEM_DIR of its own cannot leak in.
    return run(["flatpak", "--system", *args], env={"FLATPAK_SYSTEM_DIR": installation}).stdout
