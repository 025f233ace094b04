"""copy_file into the home, user services as units and drop-ins, best-effort starting."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from kodos.errors import ConfigError
from kodos.home.items import HomeFile, UserUnit
from kodos.home.programs import render, services, units
from tests.support.home import Home, user_from_lua
from tests.support.tools import require_tools


def _render(home: Home, users: str) -> object:
    user = user_from_lua(home.config_dir, users)
    return render(user, "ada", home.path, home.config_dir, home.cache_dir)


def test_copy_file_copies_from_the_configuration_directory(private_home: Home) -> None:
    (private_home.config_dir / "files").mkdir(parents=True)
    (private_home.config_dir / "files" / "face.jpg").write_bytes(b"\xff\xd8jpeg")
    (private_home.config_dir / "run.sh").write_text("#!/bin/sh\n")
    (private_home.config_dir / "run.sh").chmod(0o755)
    wanted = _render(
        private_home,
        """{ ada = { files = {
            ["~/.face"] = copy_file("files/face.jpg"),
            [".local/bin/run"] = copy_file("run.sh"),
        } } }""",
    )
    assert wanted.files == [
        HomeFile(".face", b"\xff\xd8jpeg", 0o644, 'users.ada.files["~/.face"]'),
        HomeFile(".local/bin/run", b"#!/bin/sh\n", 0o755, 'users.ada.files[".local/bin/run"]'),
    ]


def test_copy_file_refuses_a_missing_source_or_a_link_out(private_home: Home) -> None:
    from kodos.home.programs import files

    config_dir = private_home.config_dir
    config_dir.mkdir()
    os.symlink("/etc/hostname", config_dir / "out")
    os.symlink("../outside", config_dir / "up")
    (config_dir / "dir").mkdir()
    at = 'users.ada.files["~/.x"]'
    assert str(files.copy("~/.x", "missing.jpg", config_dir, at)) == (
        f'{at}: copy_file("missing.jpg"): no such file in the configuration directory '
        f"({config_dir})"
    )
    assert str(files.copy("~/.x", "out", config_dir, at)) == (
        f'{at}: copy_file("out"): out is a link out of the configuration directory'
    )
    assert str(files.copy("~/.x", "up", config_dir, at)) == (
        f'{at}: copy_file("up"): up is a link out of the configuration directory'
    )
    assert str(files.copy("~/.x", "dir", config_dir, at)) == (
        f'{at}: copy_file("dir"): dir is a directory: kodos uses only a regular file there'
    )


def test_services_become_units_and_a_syncthing_dropin(private_home: Home) -> None:
    wanted = _render(
        private_home,
        """{ ada = { services = {
            syncthing = { enable = true, config = configs.syncthing({
                service_name = "syncthing",
                options = "'--no-browser' '--gui-address=0.0.0.0:8384'",
            }) },
            mpd = { enable = true },
            pipewire = { enable = true, service_name = "pipewire.socket" },
            off = { enable = false },
        } } }""",
    )
    assert wanted.units == [
        UserUnit("mpd.service", None, ("default.target",), "users.ada.services.mpd"),
        UserUnit("pipewire.socket", None, ("default.target",), "users.ada.services.pipewire"),
        UserUnit(
            "syncthing.service", None, ("default.target",), "users.ada.services.syncthing.config"
        ),
    ]
    assert wanted.files == [
        HomeFile(
            ".config/systemd/user/syncthing.service.d/kodos.conf",
            b"# Written by kodos from users.ada.services.syncthing.config\n[Service]\n"
            b"ExecStart=\nExecStart=/usr/bin/syncthing '--no-browser' "
            b"'--gui-address=0.0.0.0:8384'\n",
            0o644,
            "users.ada.services.syncthing.config",
        )
    ]


def test_wanted_by_comes_from_the_package_unit(tmp_path: Path) -> None:
    (tmp_path / "syncthing.service").write_text(
        "[Unit]\nDescription=x\n[Install]\nWantedBy=graphical-session.target default.target\n"
    )
    (tmp_path / "plain.service").write_text("[Service]\nExecStart=/bin/true\n")
    assert services.wanted_by("syncthing.service", [tmp_path]) == (
        "graphical-session.target",
        "default.target",
    )
    assert services.wanted_by("plain.service", [tmp_path]) == ("default.target",)
    assert services.wanted_by("absent.service", [tmp_path]) == ("default.target",)


def test_mount_under_a_user_is_refused(private_home: Home) -> None:
    with pytest.raises(ConfigError) as caught:
        _render(
            private_home,
            """{ ada = { services = { nas = { enable = true, config = configs.mount({
                nas = { type = "nfs", what = "nas:/srv", where = "/mnt/nas" } }) } } } }""",
        )
    assert str(caught.value) == (
        "users.ada.services.nas.config: configs.mount does not belong under a user: it is not "
        "a home configuration"
    )


def test_no_manager_means_next_login(private_home: Home) -> None:
    assert units.reachable() is False
    assert units.start_or_reload(["syncthing.service"]) == [units.NEXT_LOGIN]
    assert units.start_or_reload([]) == []


@pytest.mark.system
def test_a_manager_that_fails_is_reported_not_fatal(private_home: Home, tmp_path: Path) -> None:
    """A socket where the manager's should be, but no manager: systemctl fails, kodos notes it."""
    require_tools("systemctl")
    path = Path(os.environ["XDG_RUNTIME_DIR"]) / "systemd" / "private"
    path.parent.mkdir()
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    try:
        assert units.reachable() is True
        [note] = units.start_or_reload(["syncthing.service"])
    finally:
        listener.close()
    assert note.startswith("user units not reloaded (systemctl failed with exit code 1: ")
    assert note.endswith("); they take effect at next login")


def test_one_unit_enabled_twice_is_refused(private_home: Home) -> None:
    with pytest.raises(ConfigError) as caught:
        _render(
            private_home,
            """{ ada = {
                programs = { syncthing = { enable = true, config = configs.syncthing() } },
                services = { sync = { enable = true, service_name = "syncthing" } },
            } }""",
        )
    assert str(caught.value) == (
        "users.ada.services.sync: syncthing.service is enabled by "
        "users.ada.programs.syncthing.config too"
    )


def test_a_mount_unit_among_user_services_is_refused(private_home: Home) -> None:
    with pytest.raises(ConfigError) as caught:
        _render(
            private_home,
            """{ ada = { services = { data = configs.mount({
                name = "mnt-data", type = "nfs", what = "nas:/srv", where = "/mnt/data" }) } } }""",
        )
    assert str(caught.value) == (
        "users.ada.services.data: configs.mount does not belong under a user: it is not "
        "a home configuration"
    )
