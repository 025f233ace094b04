"""kodos.pacman.syncdb and the file-list reader against the real pacman: where a plan's sync databases
come from (`--sync-dir`, `--refresh` with pacman downloading from a file:// mirror, the root's
own, none), and unit ownership compared with `pacman -F`/`-Fl` on the same databases."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from kodos.pacman.filelists import (
    build_unit_index,
    read_unit_files,
    read_unit_index,
    template_of,
)
from kodos.pacman.localdb import PacmanDbError, read_sync_directory
from kodos.pacman.syncdb import (
    ARCH_REPOS,
    CommandFailed,
    SyncDatabaseError,
    SyncOrigin,
    SyncSource,
    default_cache_dir,
    file_lists_in_background,
    load_sync_databases,
    locate_sync_databases,
    missing_databases_note,
    pacman_conf,
    root_repos,
    user_cache_dir,
    wait_for_file_lists,
)
from kodos.plan.resolve import unit_owner
from tests.support.fixtures import PACMAN_TOOLS, NewRoot
from tests.support.mirror import Mirror, Pkg, build_mirror
from tests.support.sync import fake_sync_entries, fake_sync_repo, mirror_sync_dir
from tests.support.tools import require_root, require_tools

UNIT_PATH = re.compile(r"^usr/lib/systemd/(system|user)/([^/]+)$")


def base_url(mirror: Mirror) -> str:
    """What `repos.arch_repo(...)` holds: the mirror before `$repo/os/$arch`."""
    return mirror.path.resolve().as_uri()


def pacman(dbpath: Path, *args: str) -> list[str]:
    """A read-only query on the databases a refresh downloaded (its generated pacman.conf)."""
    argv = ["pacman", "--dbpath", str(dbpath), "--config", str(dbpath / "pacman.conf"), *args]
    done = subprocess.run(
        argv, capture_output=True, text=True, check=True, env={**os.environ, "LC_ALL": "C"}
    )
    return done.stdout.splitlines()


@pytest.fixture(scope="session")
def refreshed(standard_mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> SyncSource:
    """The standard mirror downloaded once by `--refresh` into a cache directory."""
    require_root()
    cache = tmp_path_factory.mktemp("cache") / "kodos-sync"
    source = locate_sync_databases(
        None, sync_dir=None, mirror=base_url(standard_mirror), refresh=True, cache_dir=cache
    )
    assert source is not None
    return source


# ---- --refresh: the real pacman downloads --------------------------------------------------


@pytest.mark.system
def test_refresh_downloads_databases_and_file_lists(refreshed: SyncSource) -> None:
    dbpath = refreshed.directory.parent

    assert refreshed.origin is SyncOrigin.REFRESH
    assert refreshed.repos == ARCH_REPOS
    assert sorted(p.name for p in refreshed.directory.iterdir()) == [
        "core.db", "core.files", "extra.db", "extra.files",
    ]  # fmt: skip
    index = load_sync_databases(refreshed).index
    listed = {tuple(line.split(" ")[:3]) for line in pacman(dbpath, "-Sl")}
    assert {
        (p.repo, p.name, p.version) for r in index.repos for p in index.packages[r].values()
    } == listed


@pytest.mark.system
def test_refresh_conf_keeps_signature_checks_on(refreshed: SyncSource) -> None:
    conf = (refreshed.directory.parent / "pacman.conf").read_text()

    assert "SigLevel = Required DatabaseOptional" in conf
    assert "Never" not in conf
    assert "[core]\nServer = file://" in conf and conf.count("/$repo/os/$arch") == 2


@pytest.mark.system
def test_refresh_again_is_up_to_date(refreshed: SyncSource, standard_mirror: Mirror) -> None:
    again = locate_sync_databases(
        None,
        sync_dir=None,
        mirror=base_url(standard_mirror) + "/",  # a trailing slash is the same mirror
        refresh=True,
        cache_dir=refreshed.directory.parent,
    )
    assert again == refreshed


@pytest.mark.system
def test_refresh_fails_with_pacmans_errors(tmp_path: Path) -> None:
    require_root()
    require_tools("pacman")
    missing = (tmp_path / "no-mirror").as_uri()

    with pytest.raises(CommandFailed) as raised:
        locate_sync_databases(
            None, sync_dir=None, mirror=missing, refresh=True, cache_dir=tmp_path / "c"
        )
    failed = raised.value
    assert failed.exit_code == 1
    assert failed.argv[:2] == ["pacman", "-Sy"]
    assert "failed retrieving file 'core.db'" in failed.message
    assert failed.message.endswith("failed to synchronize all databases (download library error)")
    assert str(failed).startswith("pacman failed with exit code 1: failed retrieving file")


def without_file_lists(mirror: Mirror, directory: Path) -> str:
    """A copy of `mirror` that serves its databases but no file lists (`pacman -Fy` fails)."""
    shutil.copytree(mirror.path, directory, symlinks=True)
    for path in directory.rglob("*.files*"):
        path.unlink()
    return directory.resolve().as_uri()


@pytest.mark.system
def test_file_lists_download_meanwhile_and_their_failure_is_raised_when_waited_for(
    standard_mirror: Mirror, tmp_path: Path
) -> None:
    require_root()
    with file_lists_in_background():
        source = locate_sync_databases(
            None,
            sync_dir=None,
            mirror=base_url(standard_mirror),
            refresh=True,
            cache_dir=tmp_path / "ok",
        )
        assert source is not None
        units = load_sync_databases(source).units  # waits for the lists
        assert units is not None and (source.directory / "extra.files").is_file()

    missing = without_file_lists(standard_mirror, tmp_path / "mirror")
    with pytest.raises(CommandFailed) as raised, file_lists_in_background():
        source = locate_sync_databases(
            None, sync_dir=None, mirror=missing, refresh=True, cache_dir=tmp_path / "bad"
        )
        assert source is not None  # -Sy is done: the databases can be read already
        assert load_sync_databases(source).index.get("htop") is not None
        wait_for_file_lists()
    assert raised.value.argv[:2] == ["pacman", "-Fy"]
    assert "failed retrieving file 'core.files'" in raised.value.message

    # outside the block, the refresh itself fails, as it always did
    with pytest.raises(CommandFailed) as raised:
        locate_sync_databases(
            None, sync_dir=None, mirror=missing, refresh=True, cache_dir=tmp_path / "bad"
        )
    assert raised.value.argv[:2] == ["pacman", "-Fy"]


@pytest.mark.system
def test_refresh_verifies_a_published_database_signature(tmp_path: Path) -> None:
    """A mirror that signs its databases gets them checked: a bad `.sig` fails the refresh
    (no keyring here knows the signer), so verification is not switched off."""
    require_root()
    require_tools(*PACMAN_TOOLS)
    mirror = build_mirror(
        tmp_path / "mirror", [Pkg("htop", "3.3.0-3"), Pkg("git", "2.47.1-1", "extra")]
    )
    (mirror.repo_dir("core") / "core.db.sig").write_bytes(b"not a signature")

    with pytest.raises(CommandFailed, match="failed to synchronize all databases"):
        locate_sync_databases(
            None, sync_dir=None, mirror=base_url(mirror), refresh=True, cache_dir=tmp_path / "c"
        )


@pytest.mark.system
def test_refresh_as_an_unprivileged_user_uses_fakeroot(monkeypatch: pytest.MonkeyPatch) -> None:
    """pacman -Sy refuses a non-root user; kodos plan must not need root (as checkupdates)."""
    require_root()  # to become another user
    require_tools(*PACMAN_TOOLS, "fakeroot", "setpriv")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        work.chmod(0o755)  # pytest's tmp_path is private to root
        mirror = build_mirror(
            work / "mirror", [Pkg("htop", "3.3.0-3"), Pkg("git", "2.47.1-1", "extra")]
        )
        home = work / "home"
        home.mkdir()
        shutil.chown(home, "nobody")
        script = (
            "import sys; from kodos.pacman.syncdb import locate_sync_databases, load_sync_databases; "
            "s = locate_sync_databases(None, sync_dir=None, mirror=sys.argv[1], refresh=True, cache_dir=None); "
            "print(s.directory); print(sorted(load_sync_databases(s).index.packages['extra']))"
        )
        env = {"PATH": os.environ["PATH"], "HOME": str(home), "LC_ALL": "C"}
        argv = [
            "setpriv",
            "--reuid=nobody",
            "--regid=nogroup",
            "--clear-groups",
            sys.executable,
            "-c",
            script,
            base_url(mirror),
        ]
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=env,
            cwd=Path(__file__).parent.parent,
            check=False,
        )

        assert done.returncode == 0, done.stderr
        monkeypatch.setenv("HOME", str(home))
        monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
        assert done.stdout.splitlines() == [
            str(user_cache_dir(base_url(mirror)) / "sync"),
            "['git']",
        ]


def test_a_user_cache_dir_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    one, other = (
        user_cache_dir("https://a.example/arch"),
        user_cache_dir("https://b.example/arch"),
    )

    assert one.parent == tmp_path / "kodos" / "sync"
    assert one != other  # one dbpath per mirror: their databases never mix
    assert user_cache_dir("https://a.example/arch/") == one
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")  # ignored, as the spec says
    assert user_cache_dir("https://a.example/arch").parent == Path.home() / ".cache/kodos/sync"


@pytest.mark.system
def test_roots_cache_ignores_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    require_root()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # a user's, after sudo -E
    monkeypatch.setenv("HOME", str(tmp_path))

    cache = default_cache_dir("https://a.example/arch")

    assert cache == Path("/var/cache/kodos/sync") / user_cache_dir("https://a.example/arch").name


@pytest.mark.parametrize(
    "mirror, sig_level",
    [
        ("https://m.example/arch\n[options]\nSigLevel = Never", "Required DatabaseOptional"),
        ("https://m.example/a rch", "Required DatabaseOptional"),
        ("", "Required DatabaseOptional"),
        ("https://m.example/arch", "Required\nXferCommand = /bin/evil"),
    ],
)
def test_pacman_conf_refuses_values_that_would_add_options(mirror: str, sig_level: str) -> None:
    with pytest.raises(SyncDatabaseError):
        pacman_conf(mirror, sig_level=sig_level)


# ---- --sync-dir, the root's own databases, nothing ----------------------------------------


@pytest.mark.system
def test_sync_dir_is_read_as_given(standard_mirror: Mirror, tmp_path: Path) -> None:
    sync_dir = mirror_sync_dir(standard_mirror, tmp_path / "sync")
    source = locate_sync_databases(
        tmp_path, sync_dir=sync_dir, mirror=None, refresh=False, cache_dir=None
    )

    assert source == SyncSource(sync_dir, ARCH_REPOS, SyncOrigin.SYNC_DIR)
    loaded = load_sync_databases(source)
    assert loaded.index.get("htop") is not None and loaded.units is not None
    assert "in " + str(sync_dir) in source.describe()


@pytest.mark.system
def test_sync_dir_problems(standard_mirror: Mirror, tmp_path: Path) -> None:
    sync_dir = mirror_sync_dir(standard_mirror, tmp_path / "sync")
    with pytest.raises(SyncDatabaseError, match="exclude each other"):
        locate_sync_databases(
            tmp_path, sync_dir=sync_dir, mirror="https://m.example", refresh=True, cache_dir=None
        )
    (sync_dir / "extra.db").unlink()
    with pytest.raises(SyncDatabaseError, match=r"no extra\.db in that directory"):
        locate_sync_databases(
            tmp_path, sync_dir=sync_dir, mirror=None, refresh=False, cache_dir=None
        )
    with pytest.raises(SyncDatabaseError, match="--refresh needs an Arch mirror"):
        locate_sync_databases(tmp_path, sync_dir=None, mirror=None, refresh=True, cache_dir=None)


@pytest.mark.system
def test_without_file_lists_there_is_no_unit_index(standard_mirror: Mirror, tmp_path: Path) -> None:
    sync_dir = mirror_sync_dir(standard_mirror, tmp_path / "sync")
    (sync_dir / "extra.files").unlink()  # a partial index would blame extra's units

    assert load_sync_databases(SyncSource(sync_dir, ARCH_REPOS, SyncOrigin.SYNC_DIR)).units is None
    with pytest.raises(PacmanDbError, match=r"run pacman -Fy"):
        read_unit_index(sync_dir, ARCH_REPOS)


@pytest.mark.system
def test_root_own_databases(new_root: NewRoot, tmp_path: Path) -> None:
    root = new_root()  # installing base ran pacman -Sy in the root
    source = locate_sync_databases(
        root.path, sync_dir=None, mirror=None, refresh=False, cache_dir=None
    )

    assert source == SyncSource(root.path / "var/lib/pacman/sync", ARCH_REPOS, SyncOrigin.ROOT)
    assert load_sync_databases(source).units is None  # pacman -Fy never ran there
    root.pacman("-Fy")
    assert load_sync_databases(source).units is not None
    # A --sync-dir wins over the root's own databases (and so does --refresh, tested above).
    sync_dir = tmp_path / "given"
    sync_dir.mkdir()
    for repo in ARCH_REPOS:
        shutil.copy(source.directory / f"{repo}.db", sync_dir)
    given = locate_sync_databases(
        root.path, sync_dir=sync_dir, mirror=None, refresh=False, cache_dir=None
    )
    assert given is not None and given.origin is SyncOrigin.SYNC_DIR


@pytest.mark.system
def test_root_repositories_follow_its_pacman_conf(new_root: NewRoot) -> None:
    root = new_root()
    (root.path / "etc/pacman.conf").write_text(
        "[options]\nHoldPkg = pacman\n\n#[core-testing]\n#Include = x\n\n"
        "[extra]\nInclude = /etc/pacman.d/mirrorlist\n\n[core]\n\n[multilib]\n"
        "[ignored] # pacman reads no comment after a header\n"
    )
    (root.path / "etc/pacman.d/mirrorlist").write_text("Server = file:///srv/$repo\n")
    source = locate_sync_databases(
        root.path, sync_dir=None, mirror=None, refresh=False, cache_dir=None
    )

    assert root_repos(root.path) == ("extra", "core", "multilib")
    assert source is not None and source.repos == ("extra", "core")  # multilib never synced


def test_no_databases_anywhere(tmp_path: Path) -> None:
    assert (
        locate_sync_databases(
            tmp_path, sync_dir=None, mirror="https://m.example", refresh=False, cache_dir=None
        )
        is None
    )
    assert (
        locate_sync_databases(None, sync_dir=None, mirror=None, refresh=False, cache_dir=None)
        is None
    )
    assert missing_databases_note(tmp_path) == (
        f"package names were not checked: no sync databases in {tmp_path}/var/lib/pacman/sync "
        "(run `pacman -Sy`, pass --sync-dir, or plan with --refresh)"
    )


# ---- unit owners from the file lists, against pacman -F ------------------------------------


@pytest.mark.system
def test_unit_index_matches_pacman_file_lists(refreshed: SyncSource) -> None:
    dbpath = refreshed.directory.parent
    units = load_sync_databases(refreshed).units
    assert units is not None

    expected = []
    for line in pacman(dbpath, "-Fl"):
        package, path = line.split(" ", 1)
        if match := UNIT_PATH.match(path):
            expected.append((package, match[1], match[2]))
    assert units == build_unit_index(expected)
    assert units.owners("sshd.service") == ("openssh",)
    assert units.owners("pipewire.socket", user=True) == ("pipewire",)
    assert units.owners("pipewire.socket") == ()  # a user unit, not a system one


@pytest.mark.system
def test_unit_owner_matches_pacman_query(refreshed: SyncSource) -> None:
    dbpath = refreshed.directory.parent
    units = load_sync_databases(refreshed).units
    assert units is not None and len(units.system) > 10

    for unit in sorted(units.system):
        (answer,) = pacman(dbpath, "-F", f"usr/lib/systemd/system/{unit}")
        owner = unit_owner(unit, units)
        assert re.fullmatch(
            rf"usr/lib/systemd/system/{re.escape(unit)} is owned by \w+/{re.escape(owner or '')} \S+",
            answer,
        )


@pytest.mark.system
def test_template_instances_are_shipped_by_their_template(refreshed: SyncSource) -> None:
    units = load_sync_databases(refreshed).units
    assert units is not None

    assert template_of("syncthing@alice.service") == "syncthing@.service"
    assert template_of("syncthing@.service") is None and template_of("sshd.service") is None
    assert unit_owner("syncthing@alice.service", units) == "syncthing"


@pytest.mark.system
@pytest.mark.parametrize("compression", ["gz", "xz", "zst", "bz2"])
def test_file_lists_in_every_compression(tmp_path: Path, compression: str) -> None:
    require_tools(
        *PACMAN_TOOLS, {"gz": "gzip", "xz": "xz", "zst": "zstd", "bz2": "bzip2"}[compression]
    )
    unit = "[Unit]\nDescription=x\n"
    pkgs = [
        Pkg("libsigc++", "2.12.1-2", files={"usr/lib/systemd/system/sigc.service": unit}),
        Pkg(
            "a-b",
            "3:1.0-1",
            files={
                "usr/lib/systemd/user/ab@.socket": unit,
                "usr/lib/systemd/system/x.target.wants/y.service": unit,
            },
        ),
    ]
    mirror = build_mirror(tmp_path, pkgs, db_compression=compression)
    units = read_unit_index(mirror.repo_dir("core"), ["core"])

    assert units.system == {"sigc.service": ("libsigc++",)}  # `.wants/` links are no units
    assert units.user == {"ab@.socket": ("a-b",)}


# ---- the fake repositories benchmarks use are what pacman reads ----------------------------


@pytest.fixture
def fake_repo(tmp_path: Path) -> Iterator[Path]:
    require_tools("pacman")
    entries = fake_sync_entries(300, files_per_package=3)
    sync = tmp_path / "db" / "sync"
    fake_sync_repo(sync, "core", entries[:100])
    fake_sync_repo(sync, "extra", entries[100:])
    (tmp_path / "db" / "pacman.conf").write_text("[options]\n[core]\n[extra]\n")
    yield tmp_path / "db"


@pytest.mark.system
def test_fake_sync_repos_are_read_by_pacman(fake_repo: Path) -> None:
    index = read_sync_directory(fake_repo / "sync", ARCH_REPOS)
    units = read_unit_index(fake_repo / "sync", ARCH_REPOS)

    listed = {tuple(line.split(" ")[:3]) for line in pacman(fake_repo, "-Sl")}
    assert {
        (p.repo, p.name, p.version) for r in index.repos for p in index.packages[r].values()
    } == listed
    assert set(index.groups) == set(pacman(fake_repo, "-Sg"))
    expected = [
        (p, m[1], m[2])
        for p, path in (line.split(" ", 1) for line in pacman(fake_repo, "-Fl"))
        if (m := UNIT_PATH.match(path))
    ]
    assert units == build_unit_index(expected) and len(units.system) == 30


def _files_db(path: Path, listings: dict[str, str], tar_format: int) -> Path:
    with tarfile.open(path, "w:gz", format=tar_format) as archive:
        for entry, listing in listings.items():
            data = f"%FILES%\n{listing}".encode()
            info = tarfile.TarInfo(f"{entry}/files")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_file_lists_in_pax_and_gnu_tars_are_read_too(tmp_path: Path) -> None:
    long_name = "python-" + "long" * 30  # a 127-character entry directory needs a long-name record
    listings = {
        f"{long_name}-1.0-1": "usr/\nusr/lib/systemd/system/long.service\n",
        "htop-3.3.0-3": "usr/bin/htop\n",
    }
    for tar_format in (tarfile.PAX_FORMAT, tarfile.GNU_FORMAT):
        db = _files_db(tmp_path / f"core{tar_format}.files", listings, tar_format)
        assert read_unit_files(db) == [(long_name, "system", "long.service")]


def test_damaged_file_lists(tmp_path: Path) -> None:
    listings = {
        f"pkg{i}-1.0-1": f"usr/lib/systemd/system/unit{i}.service\n" + "x" * 5000 for i in range(50)
    }
    db = _files_db(tmp_path / "core.files", listings, tarfile.USTAR_FORMAT)
    assert len(read_unit_files(db)) == 50

    truncated = tmp_path / "truncated.files"
    truncated.write_bytes(db.read_bytes()[: db.stat().st_size // 2])
    garbage = tmp_path / "garbage.files"
    garbage.write_bytes(b"\x1f\x8b\x08 not really gzip")
    for damaged in (truncated, garbage):
        with pytest.raises(PacmanDbError, match="damaged compressed data") as raised:
            read_unit_files(damaged)
        assert raised.value.path == damaged
    (tmp_path / "empty.files").write_bytes(b"")  # an empty repository
    assert read_unit_files(tmp_path / "empty.files") == []
