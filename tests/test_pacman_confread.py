"""pacman.conf read as pacman reads it, includes followed inside a root
(kodos/pacman/confread.py), checked against the real `pacman-conf` on the same files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kodos.pacman.conf import repository_attributes
from kodos.pacman.confread import PacmanConfError, read_repositories, rendered
from tests.support.tools import require_tools

ARCH_STYLE = """\
[options]
Architecture = x86_64
SigLevel = Never
Include = {root}/etc/pacman.d/repos.conf
"""
REPOS = """\
[core]
Include = {root}/etc/pacman.d/mirrorlist

[extra]
Include = {root}/etc/pacman.d/mirrorlist
"""
MIRRORLIST = "Server = file:///srv/mirror/$repo/os/$arch\n"


def write(root: Path, path: str, text: str) -> Path:
    host = root / path.lstrip("/")
    host.parent.mkdir(parents=True, exist_ok=True)
    host.write_text(text.format(root=""))
    return host


def pacman_conf(config: Path, *args: str) -> list[str]:
    require_tools("pacman-conf")
    done = subprocess.run(
        ["pacman-conf", "--config", str(config), *args], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.system
def test_sections_in_an_included_file_count_as_pacman_counts_them(tmp_path: Path) -> None:
    # Absolute host paths, read with the host as the root: pacman-conf reads the same files.
    conf = tmp_path / "pacman.conf"
    conf.write_text(ARCH_STYLE.format(root=tmp_path) + "Server = file:///after/$repo\n")
    (tmp_path / "etc/pacman.d").mkdir(parents=True)
    (tmp_path / "etc/pacman.d/repos.conf").write_text(REPOS.format(root=tmp_path))
    (tmp_path / "etc/pacman.d/mirrorlist").write_text(MIRRORLIST)

    found = read_repositories("/", str(conf))

    assert list(found) == pacman_conf(conf, "--repo-list") == ["core", "extra"]
    mirrorlist = f"{tmp_path}/etc/pacman.d/mirrorlist"
    assert found["core"].path == f"{tmp_path}/etc/pacman.d/repos.conf"
    assert repository_attributes(found["core"]) == {"include": mirrorlist}
    # the line after the Include is in [extra], the last section the included file opened
    assert found["extra"].servers == (f"Include = {mirrorlist}", "Server = file:///after/$repo")
    assert pacman_conf(conf, "--repo", "extra", "Server") == [
        "file:///srv/mirror/extra/os/x86_64",
        "file:///after/extra",
    ]
    # the rendered copy, includes inlined, is the same configuration to pacman
    flat = tmp_path / "rendered.conf"
    flat.write_text(rendered("/", str(conf)))
    assert "Include" not in flat.read_text()
    for repo in ("core", "extra"):
        assert pacman_conf(flat, "--repo", repo, "Server") == pacman_conf(
            conf, "--repo", repo, "Server"
        )


def test_includes_resolve_inside_the_root_links_included(tmp_path: Path) -> None:
    root = tmp_path / "root"
    write(root, "/etc/pacman.conf", "[options]\nInclude = /etc/pacman.d/*.conf\n")
    write(root, "/etc/pacman.d/20-extra.conf", "[extra]\nServer = file:///extra\n")
    write(root, "/etc/pacman.d/.hidden.conf", "[hidden]\nServer = file:///hidden\n")
    write(root, "/srv/repos/core.conf", "[core]\nInclude = /etc/pacman.d/mirrorlist\n")
    write(root, "/etc/pacman.d/mirrorlist", MIRRORLIST)
    # an absolute link means the root's own /srv, as under chroot
    (root / "etc/pacman.d/10-core.conf").symlink_to("/srv/repos/core.conf")
    # the host file the link would name outside the root must not be read
    host = tmp_path / "srv/repos"
    host.mkdir(parents=True)
    (host / "core.conf").write_text("[host]\nServer = file:///host\n")

    found = read_repositories(root)

    assert list(found) == ["core", "extra"]  # glob order; dot files are not matched
    assert found["core"].path == "/etc/pacman.d/10-core.conf"
    text = rendered(root)
    assert text == (
        "[options]\n[core]\nServer = file:///srv/mirror/$repo/os/$arch\n"
        "[extra]\nServer = file:///extra\n"
    )


@pytest.mark.parametrize(
    ("conf", "message"),
    [
        (
            "[options]\nInclude\n",
            "/etc/pacman.conf line 2: Include needs a value (pacman stops at it)",
        ),
        (
            "[options]\nInclude = /etc/pacman.d/repos.conf\n",
            "/etc/pacman.conf line 2: Include = /etc/pacman.d/repos.conf: no such file",
        ),
        (
            "[options]\nInclude = /etc/pacman.d/none-*.conf\n",
            "/etc/pacman.conf line 2: Include = /etc/pacman.d/none-*.conf: no such file",
        ),
        (
            "[core]\nInclude = mirrorlist\n",
            "/etc/pacman.conf line 2: Include = mirrorlist: not an absolute path (pacman would "
            "read it relative to the directory it is started in)",
        ),
        (
            "[options]\nInclude = /etc/*/repos.conf\n",
            "/etc/pacman.conf line 2: Include = /etc/*/repos.conf: kodos follows a wildcard "
            "only in the file name",
        ),
        (
            "[options]\n\nInclude = /etc/pacman.conf\n",
            "/etc/pacman.conf line 3: Include = /etc/pacman.conf: includes nest deeper than 10 "
            "(pacman's limit; does a file include itself?)",
        ),
    ],
)
def test_an_include_pacman_stops_at_is_a_located_error(
    tmp_path: Path, conf: str, message: str
) -> None:
    write(tmp_path, "/etc/pacman.conf", conf)

    with pytest.raises(PacmanConfError) as raised:
        read_repositories(tmp_path)

    assert str(raised.value) == message


def test_an_included_directory_is_refused_and_a_link_to_a_host_device_stays_inside(
    tmp_path: Path,
) -> None:
    write(tmp_path, "/etc/pacman.conf", "[options]\nInclude = /etc/pacman.d/repos.conf\n")
    (tmp_path / "etc/pacman.d/repos.conf").mkdir(parents=True)

    with pytest.raises(PacmanConfError) as raised:
        read_repositories(tmp_path)

    assert str(raised.value) == (
        "/etc/pacman.conf line 2: Include = /etc/pacman.d/repos.conf: /etc/pacman.d/repos.conf is "
        "a directory: kodos uses only a regular file there"
    )
    (tmp_path / "etc/pacman.d/repos.conf").rmdir()
    (tmp_path / "etc/pacman.d/repos.conf").symlink_to("/dev/zero")  # the root's /dev/zero
    with pytest.raises(PacmanConfError) as raised:
        read_repositories(tmp_path)
    assert str(raised.value) == (
        "/etc/pacman.conf line 2: Include = /etc/pacman.d/repos.conf: no such file"
    )


def test_ten_levels_of_includes_are_read_as_pacman_reads_them(tmp_path: Path) -> None:
    write(tmp_path, "/etc/pacman.conf", "[options]\nInclude = /etc/1.conf\n")
    for level in range(1, 10):
        write(tmp_path, f"/etc/{level}.conf", f"Include = /etc/{level + 1}.conf\n")
    write(tmp_path, "/etc/10.conf", "[core]\nServer = file:///core\n")

    assert list(read_repositories(tmp_path)) == ["core"]

    write(tmp_path, "/etc/10.conf", "Include = /etc/11.conf\n")
    with pytest.raises(PacmanConfError, match=r"^/etc/10.conf line 1: Include = /etc/11.conf: "):
        read_repositories(tmp_path)
