"""The throwaway environment one AUR build runs in (`kodos.apply.aurbuild` drives the builds).

In a child process with a mount namespace of its own: the running system's tree with overlays
taking every write (`kodos.shell.tree`), a private /tmp and an empty /home, the build
directory bound on `/kodos-build` and the run's sync databases over the environment's; the
base's needs that tree lacks installed by pacman; then the system's makepkg, chrooted there,
the first process of a PID namespace, as the build uid through `setpriv`, with a clean
environment. The namespace and everything mounted in it end with the child.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kodos.aur.errors import AurError
from kodos.aur.localrepo import REPO_NAME
from kodos.system.runner import CommandFailed, failure, run

SYNC_DIR = Path("var/lib/pacman/sync")
INSIDE = Path("/kodos-build")
"""Where the build directory is bound in the throwaway root."""
DEPTEST_MISSING = 127
"""`pacman -T`'s exit code when it printed dependencies that are not installed."""
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class BuildPlace:
    """Where one build happens: its directory (bound on `INSIDE`), the pacman configuration
    its needs install with, its log, and the sync databases the run's builds share."""

    building: Path
    conf: Path
    logfile: Path
    sync: Path


def seed_sync(host_root: Path, sync: Path) -> None:
    """The sync databases every build of this run shares: the system's copies to begin with
    (times kept, so the first `pacman -Sy` downloads only what changed since), then whatever
    that refresh brought, so later builds download nothing again."""
    if sync.is_dir():
        return
    sync.mkdir()
    system = host_root / SYNC_DIR
    if system.is_dir():
        for database in system.iterdir():
            if database.is_file() and not database.is_symlink():
                shutil.copy2(database, sync / database.name)


def in_environment(needs: Sequence[str], host_root: Path, uid: int, place: BuildPlace) -> int:
    """In a child process: lay the throwaway root over `host_root`, install `needs` there,
    run makepkg as `uid`; a failure raises `AurError`."""
    from kodos.shell import namespace, tree

    building, conf, logfile = place.building, place.conf, place.logfile
    namespace.enter_as_root()
    target = building / "root"
    target.mkdir()
    layers = tree.Layers(lower=(), upper=building / "layers", work=building / "work")
    tree.assemble(
        host_root, target, layers, user=False, read_only=True,
        private=("tmp", "home"), binds={INSIDE.name: building},
    )  # fmt: skip
    sync = target / SYNC_DIR
    sync.mkdir(parents=True, exist_ok=True)  # in the var overlay, when the system has none
    namespace.bind(place.sync, sync)
    _install_needs(needs, target, building, conf, logfile)
    try:
        run(_makepkg_argv(target, uid), log=logfile)
    except CommandFailed as err:
        raise AurError(f"makepkg failed with exit code {err.exit_code}") from None
    return 0


def _install_needs(
    needs: Sequence[str], target: Path, building: Path, conf: Path, logfile: Path
) -> None:
    """pacman installs what the base needs and the throwaway root lacks, as dependencies."""
    from kodos.shell.build import pacman_argv, silent_error

    if not needs:
        return
    deptest = ["pacman", "--root", str(target), "--dbpath", str(target / "var/lib/pacman"),
               "--config", str(conf), "-T", "--", *needs]  # fmt: skip
    missing = run(deptest, check=False)
    if missing.returncode not in (0, DEPTEST_MISSING):
        raise AurError(f"pacman could not check what is installed: {failure(missing).message}")
    names = missing.stdout.split()
    if not names:
        return
    with logfile.open("a") as stream:
        stream.write(f"==> kodos: installing {' '.join(names)} into the build environment\n")
    # the local repository changes between builds, maybe within the second its copy was
    # taken, which pacman's time check would miss: always copied afresh
    for suffix in (".db", ".files"):
        (target / SYNC_DIR / f"{REPO_NAME}{suffix}").unlink(missing_ok=True)
    try:
        done = run(
            pacman_argv(target, building, ["-Sy", "--asdeps"], names, config=conf), log=logfile
        )
    except CommandFailed as err:
        raise AurError(f"pacman could not install {', '.join(names)}: {err.message}") from None
    silent = silent_error(done.stdout, target)
    if silent is not None:
        raise AurError(f"pacman could not install {', '.join(names)}: {silent}")


def _makepkg_argv(target: Path, uid: int) -> list[str]:
    """makepkg in the throwaway root as `uid`, with nothing of kodos's environment."""
    inside = str(INSIDE)
    environment = {
        "HOME": f"{inside}/home",
        "PATH": PATH,
        "LC_ALL": "C",
        "TMPDIR": "/tmp",
        "PKGDEST": f"{inside}/out",
        "SRCDEST": f"{inside}/sources",
        "BUILDDIR": f"{inside}/tmp",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_COUNT": "1",
        "GIT_CONFIG_KEY_0": "safe.directory",
        "GIT_CONFIG_VALUE_0": f"{inside}/sources",
    }
    return [
        # a PID namespace whose init is makepkg: whatever the build leaves running is killed
        # when makepkg ends, so nothing of the build uid outlives it or touches its output
        "unshare", "--pid", "--fork", "--kill-child",
        "chroot", str(target),
        "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups", "--no-new-privs",
        "env", "-i", f"--chdir={inside}/src",
        *(f"{key}={value}" for key, value in environment.items()),
        "makepkg", "--noconfirm", "--nocolor", "--noprogressbar",
    ]  # fmt: skip
