"""Building AUR package bases: makepkg as an unprivileged uid in a throwaway environment.

Each base, in the order given (`kodos.aur.order.build_order`), is either found in the local
repository at its commit (`LocalRepo.built`) or built:

1. its tree at that commit is exported from the mirror into `<work_dir>/builds/<pkgbase>/src`,
   owned by the build uid — a uid with no passwd or group entry (`build_uid`), so no account is
   added to the running system, and never root;
2. a child process (`kodos.apply.aurenv`) in a mount namespace of its own lays a throwaway
   root over the running system (`kodos.shell.tree`: overlays on usr, etc, var, opt taking
   every write; the rest bound read-only; a private /tmp and an empty /home), binds the build
   directory on `/kodos-build`, and installs what the base needs and that root lacks
   (`pacman -T`; with `base-devel` on an Arch system) with pacman — from the configured
   repositories and `[kodos-aur]`, so AUR packages built before it are there too; the sync
   databases are the run's own (`<work_dir>/sync`, first copied from the system's),
   refreshed once and shared by its builds;
3. the running system's makepkg runs chrooted there, the first process of a PID namespace
   (what the build leaves running dies with it), through `setpriv` as the build uid (no
   supplementary groups, no new privileges), with a clean environment, `HOME` in the build
   directory and git's `safe.directory` naming only it. Its output goes to
   `<work_dir>/logs/<pkgbase>.log`; only regular files it wrote to `PKGDEST` are taken.

When the child ends its mounts go with it: nothing the build installed reaches the running
system. The packages are added to the local repository before a base that needs them builds,
the others together at the end (`repo-add` costs a few hundred ms a call); a failed base
raises `AurBuildError` with the end of its log, after the bases before it were added (the
cache keeps what did build) and before anything else changes.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kodos.apply.aurenv import BuildPlace, in_environment, seed_sync
from kodos.aur.errors import AurBuildError, AurError
from kodos.aur.localrepo import PACKAGE_SUFFIXES, BuiltPackage, LocalRepo
from kodos.aur.order import needed_names, offered_names
from kodos.aur.source import AurBase, AurSource
from kodos.system.runner import tail

BUILD_UIDS = range(61184, 65520)
"""Where the build uid is chosen: systemd's range for dynamic users, whose uids have no
passwd entry; the first with no entry in the system's passwd and group files is taken."""
LOG_TAIL_LINES = 30
BUILDS, LOGS, PACKAGES, SYNC = "builds", "logs", "packages", "sync"
"""The parts of the work directory: a directory per base building, its log (kept), the
packages built waiting for the local repository, the sync databases the builds share."""
IMPLICIT_NEEDS = ("base-devel",)
"""What makepkg assumes every build has, so PKGBUILDs never list it (Arch's rule): installed
in the environment when the system lacks it."""
LOCAL_DATABASE_VERSION = Path("var/lib/pacman/local/ALPM_DB_VERSION")


def build_all(
    bases: list[AurBase],
    source: AurSource,
    repo: LocalRepo,
    *,
    host_root: Path = Path("/"),
    work_dir: Path,
    log: Callable[[str], None] | None = None,
    pacman_conf: Path | None = None,
    build_uid: int | None = None,
    implicit_needs: Sequence[str] | None = None,
) -> list[BuiltPackage]:
    """Every package of `bases` (already in build order), built now or found built.

    `host_root` is the system whose makepkg builds and whose tree the throwaway environment
    lays over; `work_dir` a directory for the builds (each build's directory is removed when
    it is done, its log kept); `log` receives one line per base built or found;
    `pacman_conf` names the repositories dependencies come from (default: the system's
    `etc/pacman.conf`), their databases refreshed inside the environment; `build_uid` the
    unprivileged uid (and gid) makepkg runs as (default: the first free one of `BUILD_UIDS`);
    `implicit_needs` what every build needs besides the base's own lists (default:
    `IMPLICIT_NEEDS` on an Arch system, see `implicit_needs_of`).
    """
    say = log or (lambda line: None)
    uid = build_uid if build_uid is not None else free_build_uid(host_root)
    if uid == 0:
        raise AurError("AUR packages are never built as root")
    _prepare_work_dir(work_dir)
    if implicit_needs is None:
        implicit_needs = implicit_needs_of(host_root)
    setting = _Setting(host_root, work_dir, pacman_conf, uid, tuple(implicit_needs))
    seed_sync(host_root, work_dir / SYNC)
    pending = _Pending(repo, work_dir / PACKAGES)
    built: list[BuiltPackage] = []
    for base in bases:
        found = repo.built(base)
        if found is not None:
            say(f"{base.pkgbase} {base.info.version} ({base.commit[:12]}): built already")
            if repo.current(base.pkgbase) != base.commit:  # another commit was listed since
                pending.add(base, [repo.directory / package.filename for package in found])
            else:
                built.extend(found)
            continue
        _check_arch(base)
        if pending.needed_by(base):
            built.extend(pending.flush())
        say(f"{base.pkgbase} {base.info.version} ({base.commit[:12]}): building")
        try:
            pending.add(base, _build(base, source, repo, setting))
        except AurError:
            pending.flush()  # the cache keeps what did build
            raise
        finally:  # sources, overlay layers and all: only the log stays
            shutil.rmtree(work_dir / BUILDS / base.pkgbase, ignore_errors=True)
    built.extend(pending.flush())
    position = {base.pkgbase: number for number, base in enumerate(bases)}
    return sorted(built, key=lambda package: position[package.pkgbase])


def _check_arch(base: AurBase) -> None:
    """Refuse a base that says it does not build for this machine, before building it."""
    machine = os.uname().machine
    if base.info.arch and not {"any", machine} & set(base.info.arch):
        arches = ", ".join(base.info.arch)
        raise AurBuildError(base.pkgbase, "", reason=f"it builds for {arches}, not {machine}")


class _Pending:
    """Builds not yet in the local repository: added together, with one `repo-add`, when a
    base needs one of them or at the end (each call costs a few hundred ms). Their package
    files wait in `directory`."""

    def __init__(self, repo: LocalRepo, directory: Path) -> None:
        self.repo = repo
        self.directory = directory
        self.builds: list[tuple[AurBase, list[Path]]] = []

    def add(self, base: AurBase, files: list[Path]) -> None:
        if not all(file.is_relative_to(self.repo.directory) for file in files):
            self.directory.mkdir(exist_ok=True)
            moved = [self.directory / file.name for file in files]
            for file, target in zip(files, moved, strict=True):
                os.replace(file, target)
            files = moved
        self.builds.append((base, files))

    def needed_by(self, base: AurBase) -> bool:
        needs = needed_names(base)
        return any(needs & offered_names(built) for built, _ in self.builds)

    def flush(self) -> list[BuiltPackage]:
        if not self.builds:
            return []
        added = self.repo.add_many(self.builds)
        self.builds = []
        shutil.rmtree(self.directory, ignore_errors=True)
        return [package for packages in added for package in packages]


def implicit_needs_of(host_root: Path) -> tuple[str, ...]:
    """`IMPLICIT_NEEDS` when `host_root` is an Arch system (its pacman database exists);
    nothing on another system (a Debian test host), where no repository has base-devel and
    makepkg's tools come with the system."""
    if (host_root / LOCAL_DATABASE_VERSION).is_file():
        return IMPLICIT_NEEDS
    return ()


def free_build_uid(host_root: Path) -> int:
    """The first uid of `BUILD_UIDS` that is neither a user nor a group of `host_root`."""
    taken = _ids(host_root / "etc/passwd") | _ids(host_root / "etc/group")
    for uid in BUILD_UIDS:
        if uid not in taken:
            return uid
    raise AurError(f"no free uid in {BUILD_UIDS.start}-{BUILD_UIDS.stop - 1} to build as")


def _ids(path: Path) -> set[int]:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return set()
    ids = set()
    for line in lines:
        fields = line.split(":")
        if len(fields) > 2 and fields[2].isdigit():
            ids.add(int(fields[2]))
    return ids


def _prepare_work_dir(work_dir: Path) -> None:
    from kodos.system.ownership import foreign_reason

    work_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    reason = foreign_reason(os.lstat(work_dir))
    if reason is not None:
        raise AurError(f"AUR build directory {work_dir} is not this user's alone: {reason}")


@dataclass(frozen=True)
class _Setting:
    """What every build of one `build_all` shares (its parameters)."""

    host_root: Path
    work_dir: Path
    pacman_conf: Path | None
    uid: int
    implicit_needs: tuple[str, ...]


def _build(base: AurBase, source: AurSource, repo: LocalRepo, setting: _Setting) -> list[Path]:
    """Build `base` in `<work_dir>/builds/<pkgbase>` and return the package files it made."""
    from kodos.shell.process import ShellFailure, in_child

    building = setting.work_dir / BUILDS / base.pkgbase
    if building.exists():  # left by a build that was killed
        shutil.rmtree(building)
    building.mkdir(mode=0o755, parents=True)
    logfile = setting.work_dir / LOGS / f"{base.pkgbase}.log"
    logfile.parent.mkdir(exist_ok=True)
    logfile.write_text("")
    os.chmod(logfile, 0o600)
    owned = [building / name for name in ("src", "home", "out", "sources", "tmp")]
    source.export(base.pkgbase, base.commit, owned[0])
    for directory in owned[1:]:
        directory.mkdir()
    _give(owned, setting.uid)
    conf = building / "pacman.conf"
    conf.write_text(
        _pacman_conf(setting.pacman_conf or setting.host_root / "etc/pacman.conf", repo)
    )
    needs = [*setting.implicit_needs, *base.info.build_needs()]
    try:
        place = BuildPlace(building, conf, logfile, setting.work_dir / SYNC)
        in_child(lambda: in_environment(needs, setting.host_root, setting.uid, place))
    except ShellFailure as err:
        lines = logfile.read_text(errors="replace")
        raise AurBuildError(
            base.pkgbase, tail(lines, LOG_TAIL_LINES), reason=str(err), log_path=logfile
        ) from None
    files = sorted(path for path in (building / "out").iterdir() if _is_package(path, base))
    if not files:
        raise AurBuildError(base.pkgbase, "", reason="makepkg made no package")
    return files


def _give(directories: Sequence[Path], uid: int) -> None:
    """Make the build directories the build uid's, links included (never followed)."""
    for directory in directories:
        for path in [directory, *directory.rglob("*")]:
            os.lchown(path, uid, uid)


def _pacman_conf(conf: Path, repo: LocalRepo) -> str:
    """The configuration dependencies install with: the system's (or the given one), and
    `[kodos-aur]` once it has a database."""
    try:
        text = conf.read_text()
    except OSError as err:
        raise AurError(f"{conf}: {err.strerror}") from None
    if repo.database.exists():
        text = text.rstrip("\n") + "\n\n" + repo.pacman_section()
    return text


def _is_package(path: Path, base: AurBase) -> bool:
    """A package file of `base` that makepkg wrote: a regular file with one name, never a
    link the build left to make root copy something else; not a `-debug` package (Arch's
    makepkg.conf makes those), which no generation installs."""
    info = os.lstat(path)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:  # a link, or a hard link
        return False
    if not path.name.endswith(PACKAGE_SUFFIXES):
        return False
    return not any(path.name.startswith(f"{name}-debug-") for name in base.info.packages)
