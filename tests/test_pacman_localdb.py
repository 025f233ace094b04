"""kodos.pacman.localdb against the real pacman: what the reader returns must be what pacman
says about the same root (`-Q`, `-Qe`, `-Qd`, `-Qg`, `-Qi`, `-Sl`, `-Sg`, `-S --print`)."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import pytest

from kodos.pacman.localdb import (
    InstallReason,
    PacmanDbError,
    SyncIndex,
    SyncPackage,
    read_local_packages,
    read_sync_database,
    read_sync_databases,
)
from tests.support.fixtures import PACMAN_TOOLS, NewRoot
from tests.support.mirror import Pkg, build_mirror, fake_local_db
from tests.support.target import PacmanFailed, TargetRoot
from tests.support.tools import require_tools

EXPLICIT = ("htop", "gnome", "memtest86+", "libsigc++", "cups", "zsh")
AS_DEPS = ("pipewire-pulse",)  # pulls in pipewire as a dependency too


def dbpath(root: TargetRoot) -> Path:
    return root.path / "var/lib/pacman"


def pairs(lines: list[str]) -> dict[str, str]:
    """`NAME VERSION` lines (pacman -Q) as a dict."""
    return dict(line.split(" ", 1) for line in lines)


def qi_fields(root: TargetRoot, name: str) -> dict[str, list[str]]:
    """`pacman -Qi NAME`, list-valued fields split; pacman writes None for an empty list."""
    fields: dict[str, list[str]] = {}
    for line in root.query("-Qi", name):
        key, sep, value = line.partition(" : ")
        if sep:
            fields[key.strip()] = [] if value.strip() == "None" else value.split()
    return fields


@pytest.fixture
def installed(new_root: NewRoot) -> TargetRoot:
    root = new_root()
    root.install(*EXPLICIT)
    root.install(*AS_DEPS, asdeps=True)
    return root


@pytest.mark.system
def test_local_packages_match_pacman_query(installed: TargetRoot) -> None:
    local = read_local_packages(installed.path)

    assert {n: p.version for n, p in local.items()} == pairs(installed.query("-Q"))
    explicit = {n for n, p in local.items() if p.reason is InstallReason.EXPLICIT}
    dependencies = {n for n, p in local.items() if p.reason is InstallReason.DEPENDENCY}
    assert explicit == set(pairs(installed.query("-Qe")))
    assert dependencies == set(pairs(installed.query("-Qd")))
    groups = {(g, n) for n, p in local.items() for g in p.groups}
    assert groups == {tuple(line.split(" ")) for line in installed.query("-Qg")}


@pytest.mark.system
@pytest.mark.parametrize("name", ["htop", "pipewire-pulse", "busybox", "gnome-shell"])
def test_provides_and_depends_match_pacman_info(installed: TargetRoot, name: str) -> None:
    package = read_local_packages(installed.path)[name]
    info = qi_fields(installed, name)

    assert list(package.depends) == info["Depends On"]
    assert list(package.provides) == info["Provides"]
    assert list(package.groups) == info["Groups"]


@pytest.mark.system
def test_names_and_versions_are_kept_exactly(installed: TargetRoot) -> None:
    local = read_local_packages(installed.path)

    assert local["libsigc++"].version == "2.12.1-2"
    assert local["memtest86+"].version == "7.20-1"
    assert local["gnome-shell"].version == "1:47.2-1"
    assert local["cups"].version == "2:2.4.11-2"
    assert local["htop"].depends == ("ncurses", "libncursesw.so=6-64")
    assert local["pipewire"].reason is InstallReason.DEPENDENCY
    assert local["pipewire-pulse"].reason is InstallReason.DEPENDENCY
    assert local["gdm"].reason is InstallReason.EXPLICIT  # a group's members are explicit


@pytest.mark.system
def test_fresh_and_missing_roots_have_no_packages(new_root: NewRoot, tmp_path: Path) -> None:
    assert read_local_packages(new_root(base=False).path) == {}
    assert read_local_packages(tmp_path / "no-such-root") == {}


CORRUPTIONS = {
    "not a desc file": (b"garbage\n", "expected a %FIELD% header"),
    "no name": (b"%VERSION%\n3.3.0-3\n\n", "%NAME% must hold exactly one value"),
    "another package": (b"%NAME%\nhtopx\n\n%VERSION%\n3.3.0-3\n\n", "its directory is htop-"),
    "bad reason": (b"%NAME%\nhtop\n\n%VERSION%\n3.3.0-3\n\n%REASON%\n7\n\n", "%REASON%"),
    "not utf-8": (b"%NAME%\nht\xffop\n\n", "not UTF-8"),
}


@pytest.mark.system
@pytest.mark.parametrize("content, reason", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_corrupt_desc_names_file_and_problem(
    new_root: NewRoot, content: bytes, reason: str
) -> None:
    root = new_root()
    root.install("htop")
    desc = dbpath(root) / "local/htop-3.3.0-3/desc"
    desc.write_bytes(content)

    with pytest.raises(PacmanDbError) as raised:
        read_local_packages(root.path)
    assert raised.value.path == desc
    assert reason in raised.value.reason


@pytest.mark.system
def test_unreadable_desc_is_an_error(new_root: NewRoot) -> None:
    root = new_root()
    root.install("htop")
    desc = dbpath(root) / "local/htop-3.3.0-3/desc"
    desc.unlink()

    with pytest.raises(PacmanDbError, match="cannot read") as raised:
        read_local_packages(root.path)
    assert raised.value.path == desc


@pytest.mark.system
def test_sync_databases_match_pacman_lists(installed: TargetRoot) -> None:
    index = read_sync_databases(dbpath(installed), ["core", "extra"])

    listed = {tuple(line.split(" ")[:3]) for line in installed.query("-Sl")}
    assert {(p.repo, p.name, p.version) for p in _all(index)} == listed
    assert set(index.groups) == set(installed.query("-Sg"))
    for group in index.groups:
        members = [line.split(" ")[1] for line in installed.query("-Sg", group)]
        assert [p.name for p in index.group(group)] == members


@pytest.mark.system
@pytest.mark.parametrize(
    "target", ["htop", "libsigc++", "memtest86+", "ttf-font", "sh", "pulseaudio", "kate"]
)
def test_satisfier_is_what_pacman_would_install(installed: TargetRoot, target: str) -> None:
    index = read_sync_databases(dbpath(installed), ["core", "extra"])
    printed = installed.query("-S", "--print", "--print-format", "%n %v %r", target)
    found = index.satisfier(target)

    assert found is not None
    assert f"{found.name} {found.version} {found.repo}" in printed


@pytest.mark.system
def test_unknown_names_and_groups(installed: TargetRoot) -> None:
    index = read_sync_databases(dbpath(installed), ["core", "extra"])

    assert not index.exists("nope")
    assert index.group("nope") == ()
    with pytest.raises(PacmanFailed, match="target not found: nope"):
        installed.pacman("-S", "--print", "nope")
    assert index.exists("ttf-font") and index.get("ttf-font") is None  # provided, not a name
    assert [p.name for p in index.group("kde-applications")] == ["dolphin", "kate", "konsole"]


@pytest.mark.system
def test_first_repository_wins(new_root: NewRoot, tmp_path: Path) -> None:
    mirror = build_mirror(
        tmp_path / "mirror",
        [
            Pkg("foo", "2.0-1", repo="testing", groups=["grp"]),
            Pkg("foo", "1.0-1", repo="core", groups=["grp"]),
            Pkg("bar", "1:0.5-1", repo="core", groups=["grp"], provides=["foo-virtual"]),
            Pkg("baz", "1.0-1", repo="testing", provides=["bar"]),
        ],
    )
    root = new_root(base=False, mirror=mirror)
    root.pacman("-Sy")
    index = read_sync_databases(dbpath(root), mirror.repos)

    def printed(*targets: str) -> set[str]:
        return set(root.query("-S", "--print", "--print-format", "%n %v %r", *targets))

    assert mirror.repos == ("testing", "core")
    assert printed("foo") == {_line(index.satisfier("foo"))}
    assert printed("bar") == {_line(index.satisfier("bar"))}  # a name beats a provider
    assert printed("grp") == {_line(p) for p in index.group("grp")}
    assert [p.repo for p in index.group("grp")] == ["testing", "core"]


COMPRESSORS = {"gz": "gzip", "xz": "xz", "zst": "zstd", "bz2": "bzip2"}  # what repo-add runs


@pytest.mark.system
@pytest.mark.parametrize("compression", COMPRESSORS)
def test_sync_database_compressions(tmp_path: Path, compression: str) -> None:
    require_tools(*PACMAN_TOOLS, COMPRESSORS[compression])
    pkgs = [
        Pkg("libsigc++", "2.12.1-2", groups=["g"], depends=["glibc>=2.40"]),
        Pkg("a-b.c@d_e+", "3:1.0.0alpha-1.5", provides=["x=1", "y"]),
    ]
    mirror = build_mirror(tmp_path, pkgs, db_compression=compression)
    db_file = mirror.repo_dir("core") / "core.db"

    read = read_sync_database(db_file)
    assert read == read_sync_database(mirror.repo_dir("core") / f"core.db.tar.{compression}")
    assert {n: (p.repo, p.version, p.groups, p.depends, p.provides) for n, p in read.items()} == {
        p.name: ("core", p.version, tuple(p.groups), tuple(p.depends), tuple(p.provides))
        for p in pkgs
    }


@pytest.mark.parametrize(
    "tar_format", [tarfile.USTAR_FORMAT, tarfile.GNU_FORMAT, tarfile.PAX_FORMAT]
)
def test_sync_database_long_names_and_old_layout(tmp_path: Path, tar_format: int) -> None:
    """Long entry names take a ustar prefix, a GNU record or a pax header; databases from
    before pacman 5 keep DEPENDS/PROVIDES in a separate `depends` file."""
    long_name = "python-" + "long" * 30  # a 127-character entry directory
    files = {
        f"{long_name}-1.0-1/desc": f"%NAME%\n{long_name}\n\n%VERSION%\n1.0-1\n\n",
        f"{long_name}-1.0-1/depends": "%DEPENDS%\nglibc\nlibsigc++>=2\n\n%PROVIDES%\nfoo=1\n\n",
        "htop-3.3.0-3/desc": "%NAME%\nhtop\n\n%VERSION%\n3.3.0-3\n\n%GROUPS%\ntools\n\n",
    }
    db_file = tmp_path / "old.db"
    with tarfile.open(db_file, "w:gz", format=tar_format) as archive:
        for name, text in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            archive.addfile(info, io.BytesIO(text.encode()))

    assert read_sync_database(db_file) == {
        long_name: SyncPackage(
            "old", long_name, "1.0-1", depends=("glibc", "libsigc++>=2"), provides=("foo=1",)
        ),
        "htop": SyncPackage("old", "htop", "3.3.0-3", groups=("tools",)),
    }


def test_damaged_or_missing_sync_database(tmp_path: Path) -> None:
    broken = tmp_path / "sync/core.db"
    broken.parent.mkdir()
    broken.write_bytes(b"\x1f\x8b\x08 not really gzip")
    with pytest.raises(PacmanDbError) as raised:
        read_sync_database(broken)
    assert raised.value.path == broken
    with pytest.raises(PacmanDbError, match=r"run pacman -Sy") as raised:
        read_sync_databases(tmp_path, ["extra"])
    assert raised.value.path == tmp_path / "sync/extra.db"
    broken.write_bytes(b"")  # pacman treats an empty database as an empty repository
    assert read_sync_database(broken) == {}


@pytest.mark.system
def test_fake_local_db_is_read_by_pacman(new_root: NewRoot) -> None:
    root = new_root(base=False)
    entries = fake_local_db(root.path, 300)
    local = read_local_packages(root.path)

    assert pairs(root.query("-Q")) == {e.name: e.version for e in entries}
    assert set(pairs(root.query("-Qe"))) == {e.name for e in entries if e.explicit}
    assert set(pairs(root.query("-Qd"))) == {e.name for e in entries if not e.explicit}
    assert {tuple(line.split(" ")) for line in root.query("-Qg")} == {
        (g, e.name) for e in entries for g in e.groups
    }
    assert {n: (p.version, p.groups, p.depends, p.provides) for n, p in local.items()} == {
        e.name: (e.version, e.groups, e.depends, e.provides) for e in entries
    }


@pytest.mark.system
def test_scriptlets_need_the_base_shell(new_root: NewRoot) -> None:
    with_base = new_root()
    with_base.install("zsh")
    assert "/usr/bin/zsh" in (with_base.path / "etc/shells").read_text().splitlines()

    # pacman exits 0 here; the fixture's runner turns the silent failure into an error.
    with pytest.raises(PacmanFailed, match="execv"):
        new_root(base=False).install("zsh")


@pytest.mark.system
def test_fixture_root_supports_useradd(new_root: NewRoot) -> None:
    require_tools("useradd")
    root = new_root()
    root.install("zsh")

    argv = ["useradd", "--root", str(root.path), "-m", "-s", "/bin/zsh", "demo-user"]
    subprocess.run(argv, check=True, capture_output=True)
    assert "demo-user:x:1000:1000::/home/demo-user:/bin/zsh" in (
        (root.path / "etc/passwd").read_text().splitlines()
    )


def _all(index: SyncIndex) -> list[SyncPackage]:
    return [p for repo in index.repos for p in index.packages[repo].values()]


def _line(package: SyncPackage | None) -> str:
    assert package is not None
    return f"{package.name} {package.version} {package.repo}"
