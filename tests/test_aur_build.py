"""The AUR engine for real: a local AUR of git repositories (file:// and a loopback http server
playing the RPC and dumb http git), the real git, makepkg, pacman and repo-add. Builds run as
an unprivileged uid with no passwd entry, in a throwaway overlay of the running root, which
stays as it was; a base at the same commit is not rebuilt; a failing build says which and
shows the end of its log."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kodos.apply.aurbuild import build_all, free_build_uid, implicit_needs_of
from kodos.aur.errors import AurBuildError, AurError
from kodos.aur.localrepo import LocalRepo
from kodos.aur.order import build_order, dependency_name
from kodos.aur.resolve import resolve_bases
from kodos.aur.source import AurBase, AurSource
from kodos.aur.srcinfo import SrcInfo
from tests.support.aur import (
    BASE_DEVEL,
    BUILDTOOL,
    FAILURE_LINES,
    REPO_PACKAGES,
    RUNTIME,
    AurPackage,
    LocalAur,
    aur_server,
    standard_aur,
)
from tests.support.fixtures import PACMAN_TOOLS
from tests.support.mirror import Pkg, build_mirror, package_bytes, write_pacman_conf
from tests.support.privilege import require_root_for
from tests.support.tools import require_tools

pytestmark = pytest.mark.system

GOOD = ("aur-app", "aur-lib", "aur-multi-doc", "aur-tool")
"""Names a configuration would ask for: aur-multi-doc is a package of base aur-multi."""
HOST_PATHS = ("/usr/share/aur-lib", "/usr/share/aur-app", f"/usr/share/{RUNTIME}",
              f"/usr/share/{BUILDTOOL}", "/usr/share/base-devel")  # fmt: skip
"""What the builds install in their environments, and the running root must never get."""


@dataclass
class World:
    aur: LocalAur
    conf: Path
    directory: Path
    pacman_before: list[str]


def _tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*")) if path.exists() else []


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    require_tools("git", "makepkg", "setpriv", "chroot", *PACMAN_TOOLS)
    require_root_for("building as an unprivileged uid in a mount namespace")
    directory = tmp_path_factory.mktemp("aur")
    mirror = build_mirror(directory / "mirror", [*REPO_PACKAGES, BASE_DEVEL])
    return World(
        aur=standard_aur(directory / "aur"),
        conf=write_pacman_conf(directory / "pacman.conf", mirror),
        directory=directory,
        pacman_before=_tree(Path("/var/lib/pacman")),
    )


def _bases(source: AurSource, names: tuple[str, ...]) -> list[AurBase]:
    pkgbases = sorted(set(source.bases_for(names).values()))
    return build_order(source.at(b, source.fetch(b)) for b in pkgbases)


@dataclass
class Built:
    source: AurSource
    repo: LocalRepo
    bases: list[AurBase]
    packages: list[object]
    said: list[str]
    uid: int


@pytest.fixture(scope="module")
def built(world: World) -> Built:
    source = AurSource(world.aur.url, world.directory / "cache")
    repo = LocalRepo(world.directory / "repo")
    bases = _bases(source, GOOD)
    said: list[str] = []
    packages = build_all(
        bases, source, repo, work_dir=world.directory / "work", log=said.append,
        pacman_conf=world.conf, implicit_needs=(BASE_DEVEL.name,),
    )  # fmt: skip
    return Built(source, repo, bases, list(packages), said, free_build_uid(Path("/")))


def test_lookup_in_a_file_directory(world: World, tmp_path: Path) -> None:
    source = AurSource(world.aur.url, tmp_path / "cache")
    assert source.bases_for(["aur-multi-cli", "aur-app"]) == {
        "aur-multi-cli": "aur-multi", "aur-app": "aur-app",
    }  # fmt: skip
    with pytest.raises(AurError) as raised:
        source.bases_for(["aur-app", "no-such-thing", "aur-multi"])
    # aur-multi is a package base, not a package: the AUR knows no package of that name
    assert str(raised.value) == f"not in the AUR at {world.aur.url}: no-such-thing, aur-multi"


def test_lookup_through_the_rpc_and_clone_over_http(world: World, tmp_path: Path) -> None:
    with aur_server(world.aur) as server:
        source = AurSource(server.url, tmp_path / "cache")
        assert source.bases_for(["aur-multi-doc", "aur-lib"]) == {
            "aur-multi-doc": "aur-multi", "aur-lib": "aur-lib",
        }  # fmt: skip
        with pytest.raises(AurError) as raised:
            source.bases_for(["nope", "aur-lib", "zzz"])
        assert str(raised.value) == f"not in the AUR at {server.url}: nope, zzz"
        commit = source.fetch("aur-multi")
    assert commit == world.aur.head("aur-multi")
    assert source.at("aur-multi", commit).info.packages == ("aur-multi-cli", "aur-multi-doc")
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700


def test_an_unreachable_rpc_is_named(tmp_path: Path) -> None:
    with pytest.raises(AurError) as raised:
        AurSource("http://127.0.0.1:9", tmp_path).bases_for(["yay"])
    assert str(raised.value) == (
        "cannot reach the AUR RPC at http://127.0.0.1:9: [Errno 111] Connection refused"
    )


def test_a_moved_base_shows_its_changes(tmp_path: Path) -> None:
    require_tools("git", "makepkg", "setpriv")
    aur = LocalAur(tmp_path / "aur")
    first = aur.add(AurPackage("aur-moving", extra_files={"fix.patch": "old\n"}))
    source = AurSource(aur.url, tmp_path / "cache")
    assert source.fetch("aur-moving") == first
    second = aur.bump("aur-moving", "2.0", extra_files={"fix.patch": "new\n"})
    assert source.at("aur-moving", first).info.version == "1.0-1"
    assert source.fetch("aur-moving") == second
    assert source.at("aur-moving", second).info.version == "2.0-1"
    assert source.at("aur-moving", first).info.version == "1.0-1"  # still there
    assert source.changed_files("aur-moving", first, second) == [
        ".SRCINFO",
        "PKGBUILD",
        "fix.patch",
    ]
    diff = source.diff("aur-moving", first, second)
    assert "-pkgver=1.0\n+pkgver=2.0\n" in diff and "-old\n+new\n" in diff
    with pytest.raises(AurError) as raised:
        source.at("aur-moving", "f" * 40)
    assert str(raised.value) == f"AUR package base 'aur-moving' has no commit {'f' * 40}"
    with pytest.raises(AurError) as raised:
        source.at("aur-other", first)
    assert str(raised.value) == (
        f"AUR package base 'aur-other' was not fetched (no {tmp_path / 'cache/aur-other.git'})"
    )


def test_a_cache_others_can_write_is_refused(world: World, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o777)
    cache.chmod(0o777)
    with pytest.raises(AurError) as raised:
        AurSource(world.aur.url, cache).fetch("aur-lib")
    assert str(raised.value) == (
        f"AUR cache {cache} is not this user's alone: writable by others (mode 0777)"
    )
    assert list(cache.iterdir()) == []


def test_bases_build_in_order_into_the_local_repository(built: Built, world: World) -> None:
    assert [b.pkgbase for b in built.bases] == ["aur-lib", "aur-app", "aur-multi", "aur-tool"]
    assert [(p.name, p.version, p.pkgbase) for p in built.packages] == [  # type: ignore[attr-defined]
        ("aur-lib", "1.0-1", "aur-lib"),
        ("aur-app", "1.0-1", "aur-app"),
        ("aur-multi-cli", "1.0-1", "aur-multi"),
        ("aur-multi-doc", "1.0-1", "aur-multi"),
        ("aur-tool", "1.0-1", "aur-tool"),
    ]
    assert built.said == [f"{b.pkgbase} 1.0-1 ({b.commit[:12]}): building" for b in built.bases]
    # pacman sees them in [kodos-aur]
    conf = world.directory / "with-aur.conf"
    conf.write_text(world.conf.read_text() + "\n" + built.repo.pacman_section())
    dbpath = world.directory / "listing-db"
    dbpath.mkdir(exist_ok=True)
    listed = subprocess.run(
        ["pacman", "--config", str(conf), "--dbpath", str(dbpath), "-Sy", "--noconfirm"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    listed = subprocess.run(
        ["pacman", "--config", str(conf), "--dbpath", str(dbpath), "-Sl", "kodos-aur"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert listed.stdout.splitlines() == [
        "kodos-aur aur-app 1.0-1",
        "kodos-aur aur-lib 1.0-1",
        "kodos-aur aur-multi-cli 1.0-1",
        "kodos-aur aur-multi-doc 1.0-1",
        "kodos-aur aur-tool 1.0-1",
    ]


def test_builds_ran_as_an_unprivileged_uid_without_an_account(built: Built) -> None:
    passwd = Path("/etc/passwd").read_text()
    assert built.uid >= 61184
    assert f":{built.uid}:" not in passwd
    for package in built.packages:
        name = package.name  # type: ignore[attr-defined]
        path = built.repo.directory / package.filename  # type: ignore[attr-defined]
        content = subprocess.run(
            ["bsdtar", "-xOf", str(path), f"usr/share/{name}/built-by"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert content == f"{built.uid}\n"


def test_the_running_root_never_gets_the_build_dependencies(built: Built, world: World) -> None:
    for path in HOST_PATHS:
        assert not os.path.lexists(path), path
    assert implicit_needs_of(Path("/")) == ()  # this host has no pacman database of its own
    assert _tree(Path("/var/lib/pacman")) == world.pacman_before
    # each build's directory is gone, its log stays
    work = world.directory / "work"
    assert [p.name for p in (work / "builds").iterdir()] == []
    assert not (work / "packages").exists()
    # the sync databases the builds shared: refreshed in the work directory, not the system's
    assert {"extra.db", "kodos-aur.db"} <= {p.name for p in (work / "sync").iterdir()}
    assert sorted(p.name for p in (work / "logs").iterdir()) == [
        "aur-app.log", "aur-lib.log", "aur-multi.log", "aur-tool.log",
    ]  # fmt: skip
    logs = {name: (work / "logs" / f"{name}.log").read_text() for name in ("aur-lib", "aur-app")}
    assert "kodos: installing base-devel into the build environment" in logs["aur-lib"]
    assert "kodos: installing base-devel aur-lib kodos-test-runtime into" in logs["aur-app"]


def test_a_base_at_the_same_commit_is_not_rebuilt(built: Built, world: World) -> None:
    files = {
        p.filename: (built.repo.directory / p.filename).stat().st_mtime_ns for p in built.packages
    }  # type: ignore[attr-defined]
    said: list[str] = []
    again = build_all(
        built.bases, built.source, built.repo, work_dir=world.directory / "work",
        log=said.append, pacman_conf=world.conf,
    )  # fmt: skip
    assert again == built.packages
    assert said == [f"{b.pkgbase} 1.0-1 ({b.commit[:12]}): built already" for b in built.bases]
    assert {f: (built.repo.directory / f).stat().st_mtime_ns for f in files} == files


def test_a_failing_build_names_the_base_and_shows_its_log(built: Built, world: World) -> None:
    before = sorted(p.name for p in built.repo.directory.iterdir())
    records = (built.repo.directory / "kodos-aur.json").read_text()
    bases = _bases(built.source, ("aur-broken", "aur-lib"))
    with pytest.raises(AurBuildError) as raised:
        build_all(bases, built.source, built.repo, work_dir=world.directory / "work",
                  pacman_conf=world.conf)  # fmt: skip
    log = world.directory / "work/logs/aur-broken.log"
    message = str(raised.value)
    headline, intro, *lines = message.splitlines()
    assert (
        headline == "AUR package base 'aur-broken' failed to build: makepkg failed with exit code 4"
    )
    assert intro == f"the end of its build log ({log}):"
    assert lines[-4:] == [
        *FAILURE_LINES,
        "==> ERROR: A failure occurred in build().",
        "    Aborting...",
    ]
    assert raised.value.pkgbase == "aur-broken"
    assert raised.value.log_tail == "\n".join(lines)
    assert sorted(p.name for p in built.repo.directory.iterdir()) == before
    assert (built.repo.directory / "kodos-aur.json").read_text() == records
    assert list((world.directory / "work/builds").iterdir()) == []
    for path in HOST_PATHS:
        assert not os.path.lexists(path), path


def test_what_built_before_a_failure_stays_in_the_repository(
    built: Built, world: World, tmp_path: Path
) -> None:
    repo = LocalRepo(tmp_path / "repo")
    bases = _bases(built.source, ("aur-broken", "aur-tool"))
    assert [b.pkgbase for b in bases] == ["aur-broken", "aur-tool"]
    with pytest.raises(AurBuildError):
        build_all(bases[::-1], built.source, repo, work_dir=tmp_path / "work",
                  pacman_conf=world.conf)  # fmt: skip
    assert repo.built(bases[1]) is not None and repo.built(bases[0]) is None
    assert sorted(p.name for p in repo.directory.glob("*.pkg.tar*")) == [
        "aur-tool-1.0-1-any.pkg.tar.gz"
    ]


def test_a_dependency_no_repository_offers_fails_before_makepkg(
    world: World, tmp_path: Path
) -> None:
    aur = LocalAur(tmp_path / "aur")
    aur.add(AurPackage("aur-orphan", depends=("kodos-test-nowhere",)))
    source = AurSource(aur.url, tmp_path / "cache")
    with pytest.raises(AurBuildError) as raised:
        build_all(_bases(source, ("aur-orphan",)), source, LocalRepo(tmp_path / "repo"),
                  work_dir=tmp_path / "work", pacman_conf=world.conf)  # fmt: skip
    assert str(raised.value).splitlines()[0] == (
        "AUR package base 'aur-orphan' failed to build: "
        "pacman could not install kodos-test-nowhere: target not found: kodos-test-nowhere"
    )
    assert not (tmp_path / "repo").exists()


def test_a_build_directory_others_can_write_is_refused(built: Built, tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir(mode=0o777)
    work.chmod(0o777)
    with pytest.raises(AurError) as raised:
        build_all(built.bases, built.source, built.repo, work_dir=work)
    assert str(raised.value) == (
        f"AUR build directory {work} is not this user's alone: writable by others (mode 0777)"
    )


def test_root_is_never_the_build_uid(built: Built, tmp_path: Path) -> None:
    with pytest.raises(AurError) as raised:
        build_all(built.bases, built.source, built.repo, work_dir=tmp_path, build_uid=0)
    assert str(raised.value) == "AUR packages are never built as root"


@pytest.fixture(autouse=True)
def _no_leftover_mounts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No build leaves a mount behind (below the tests' directories: the machine is shared)."""
    yield
    ours = str(tmp_path_factory.getbasetemp())
    points = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    assert [point for point in points if point.startswith(ours)] == []


def _repositories_offer(dependency: str) -> bool:
    return dependency_name(dependency) in {RUNTIME, BUILDTOOL}


def test_resolving_brings_the_aur_dependencies_in_build_order(world: World, tmp_path: Path) -> None:
    source = AurSource(world.aur.url, tmp_path / "cache")
    bases = resolve_bases(source, ["aur-app", "aur-multi-doc"], _repositories_offer)
    assert [(b.pkgbase, b.commit) for b in bases] == [
        ("aur-lib", world.aur.head("aur-lib")),
        ("aur-app", world.aur.head("aur-app")),
        ("aur-multi", world.aur.head("aur-multi")),
    ]


def test_resolving_keeps_a_locked_commit(tmp_path: Path) -> None:
    require_tools("git", "makepkg", "setpriv")
    aur = LocalAur(tmp_path / "aur")
    locked = aur.add(AurPackage("aur-pinned"))
    aur.bump("aur-pinned", "2.0")
    source = AurSource(aur.url, tmp_path / "cache")  # a fresh cache: the lock is fetched
    [base] = resolve_bases(
        source, ["aur-pinned"], _repositories_offer, commits={"aur-pinned": locked}
    )
    assert (base.commit, base.info.version) == (locked, "1.0-1")
    [base] = resolve_bases(source, ["aur-pinned"], _repositories_offer)
    assert (base.commit, base.info.version) == (aur.head("aur-pinned"), "2.0-1")


def test_a_need_nobody_offers_is_named_with_who_needs_it(tmp_path: Path) -> None:
    require_tools("git", "makepkg", "setpriv")
    aur = LocalAur(tmp_path / "aur")
    aur.add(AurPackage("aur-orphan", makedepends=("kodos-test-nowhere>=2",), depends=(RUNTIME,)))
    source = AurSource(aur.url, tmp_path / "cache")
    with pytest.raises(AurError) as raised:
        resolve_bases(source, ["aur-orphan"], _repositories_offer)
    assert str(raised.value) == (
        "no repository and no AUR package offers what AUR packages need: "
        "aur-orphan needs kodos-test-nowhere"
    )


SNEAKY_UID = 64999
SNEAKY = """\
  ln -s /etc/shadow "$PKGDEST/aur-sneaky-extra-1.0-1-any.pkg.tar.gz"
  (sleep 300 </dev/null >/dev/null 2>&1 &)
"""


def _processes_of(uid: int) -> list[str]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            lines = status.read_text().splitlines()
        except OSError:
            continue
        uids = next((line.split()[1:] for line in lines if line.startswith("Uid:")), [])
        if str(uid) in uids:
            found.append(status.parent.name)
    return found


def test_a_build_leaves_no_process_and_no_link_behind(world: World, tmp_path: Path) -> None:
    aur = LocalAur(tmp_path / "aur")
    aur.add(AurPackage("aur-sneaky", build_script=SNEAKY))
    source = AurSource(aur.url, tmp_path / "cache")
    repo = LocalRepo(tmp_path / "repo")
    uid = SNEAKY_UID  # its own: other builds on this machine use the first free uid
    assert f":{uid}:" not in Path("/etc/passwd").read_text()
    built = build_all(_bases(source, ("aur-sneaky",)), source, repo, work_dir=tmp_path / "work",
                      pacman_conf=world.conf, build_uid=uid)  # fmt: skip
    assert [p.filename for p in built] == ["aur-sneaky-1.0-1-any.pkg.tar.gz"]
    assert sorted(p.name for p in repo.directory.glob("*.pkg.tar*")) == [
        "aur-sneaky-1.0-1-any.pkg.tar.gz"
    ]
    deadline = time.monotonic() + 5  # killed with makepkg; reaped a moment later
    while _processes_of(uid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _processes_of(uid) == []


def test_an_empty_repository_is_no_package_base(tmp_path: Path) -> None:
    require_tools("git")
    (tmp_path / "aur").mkdir()
    subprocess.run(
        ["git", "init", "--quiet", "--bare", str(tmp_path / "aur/aur-empty.git")], check=True
    )
    source = AurSource(f"file://{tmp_path / 'aur'}", tmp_path / "cache")
    with pytest.raises(AurError) as raised:
        source.fetch("aur-empty")
    assert str(raised.value) == (
        f"file://{tmp_path / 'aur'}/aur-empty.git has no commits: is there such a package base?"
    )
    assert list((tmp_path / "cache").iterdir()) == []


def test_a_changed_package_file_is_not_taken_as_built(tmp_path: Path) -> None:
    require_tools(*PACMAN_TOOLS)
    pkg = Pkg("aur-made", "1.0-1", files={"usr/share/aur-made/data.txt": "data\n"})
    made = tmp_path / pkg.filename
    made.write_bytes(package_bytes(pkg))
    info = SrcInfo("aur-made", "1.0-1", ("aur-made",))
    base = AurBase("aur-made", "c" * 40, info)
    repo = LocalRepo(tmp_path / "repo")
    [added] = repo.add(base, [made])
    assert repo.built(base) == [added]
    assert repo.built(AurBase("aur-made", "d" * 40, info)) is None  # another commit
    stored = repo.directory / pkg.filename
    original = stored.read_bytes()
    recorded = stored.stat().st_mtime_ns
    later = recorded + 10**9  # set, not left to the clock: its ticks may be coarse
    stored.write_bytes(bytes(len(original)))  # same size, other bytes, another time
    os.utime(stored, ns=(later, later))
    assert repo.built(base) is None
    stored.write_bytes(original)  # the same bytes again: hashed, found intact
    os.utime(stored, ns=(later, later))
    assert repo.built(base) == [added]
    stored.unlink()
    assert repo.built(base) is None


def _made(tmp_path: Path, version: str) -> Path:
    pkg = Pkg("aur-made", version, files={"usr/share/aur-made/data.txt": version})
    (tmp_path / "made").mkdir(exist_ok=True)
    made = tmp_path / "made" / pkg.filename
    made.write_bytes(package_bytes(pkg))
    return made


def _listed(repo: LocalRepo) -> list[str]:
    names = subprocess.run(["bsdtar", "-tf", str(repo.database)], capture_output=True, text=True,
                           check=True).stdout.split()  # fmt: skip
    return sorted(name.rstrip("/") for name in names if name.count("/") == 1 and name.endswith("/"))


def test_pruning_keeps_what_generations_lock_and_what_the_database_lists(tmp_path: Path) -> None:
    require_tools(*PACMAN_TOOLS)
    one, two, three = ("1" * 40, "1.0-1"), ("2" * 40, "2.0-1"), ("3" * 40, "3.0-1")
    repo = LocalRepo(tmp_path / "repo")
    bases = {}
    for commit, version in (one, two, three):
        bases[commit] = AurBase("aur-made", commit, SrcInfo("aur-made", version, ("aur-made",)))
        repo.add(bases[commit], [_made(tmp_path, version)])
    assert _listed(repo) == ["aur-made-3.0-1"]
    assert repo.prune({"aur-made": {one[0]}}) == ["aur-made-2.0-1-x86_64.pkg.tar.gz"]
    assert repo.built(bases[one[0]]) is not None and repo.built(bases[three[0]]) is not None
    assert repo.built(bases[two[0]]) is None
    assert repo.prune({}) == [
        "aur-made-1.0-1-x86_64.pkg.tar.gz", "aur-made-3.0-1-x86_64.pkg.tar.gz",
    ]  # fmt: skip
    assert _listed(repo) == []
    assert repo.current("aur-made") is None
    assert LocalRepo(tmp_path / "nothing").prune({}) == []
