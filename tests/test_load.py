"""Loading a configuration: its digest covers every file of the configuration it loaded."""

from __future__ import annotations

from pathlib import Path

from kodos.config.load import load_config


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
