"""Loading a configuration: its digest covers every file of the configuration it loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.config.load import load_config
from kodos.errors import ConfigError


def test_the_digest_covers_required_modules_but_not_lua_lib(tmp_path: Path) -> None:
    (tmp_path / "configuration.lua").write_text(
        "local disk = require('disk')\nreturn { packages = require('cli') }"
    )
    (tmp_path / "cli.lua").write_text("return { 'htop' }")
    first = load_config(str(tmp_path)).digest
    assert load_config(str(tmp_path)).digest == first
    (tmp_path / "cli.lua").write_text("return { 'htop', 'git' }")
    assert load_config(str(tmp_path)).digest != first
    (tmp_path / "cli.lua").write_text("return { 'htop' }")
    assert load_config(str(tmp_path)).digest == first


COPY_FILE_CONFIG = """
local configs = require("configs")
return { users = { ada = { files = {
    ["~/.config/background"] = copy_file("files/background.jpg"),
    [".face"] = configs.copy_file("files/face.png"),
} } } }
"""


def copy_file_config(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    (directory / "files").mkdir(parents=True)
    (directory / "configuration.lua").write_text(COPY_FILE_CONFIG)
    (directory / "files" / "background.jpg").write_bytes(b"\xff\xd8 a picture")
    (directory / "files" / "face.png").write_bytes(b"\x89PNG a face")
    return directory


def test_copy_file_places_a_file_of_the_configuration_in_the_home(tmp_path: Path) -> None:
    files = load_config(str(copy_file_config(tmp_path))).config.users["ada"].files

    assert {target: copy.source for target, copy in files.items()} == {
        "~/.config/background": "files/background.jpg",
        ".face": "files/face.png",
    }


def test_copy_file_through_a_link_that_stays_inside_is_accepted(tmp_path: Path) -> None:
    directory = copy_file_config(tmp_path)
    (directory / "files" / "face.png").unlink()
    (directory / "files" / "face.png").symlink_to("background.jpg")

    assert load_config(str(directory)).config.users["ada"].files[".face"].source == (
        "files/face.png"
    )


def test_copy_file_through_a_link_out_of_the_configuration_is_refused(tmp_path: Path) -> None:
    directory = copy_file_config(tmp_path)
    secret = tmp_path / "secret"
    secret.write_text("not the configuration's\n")
    (directory / "files" / "face.png").unlink()
    (directory / "files" / "face.png").symlink_to(secret)

    with pytest.raises(ConfigError) as raised:
        load_config(str(directory))

    assert [str(problem) for problem in raised.value.problems] == [
        'users.ada.files[".face"].source: "files/face.png" leads out of the configuration '
        "directory through a link"
    ]
