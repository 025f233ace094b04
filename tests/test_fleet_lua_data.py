"""`require("kodos.data").json(name)`: host variables as data beside the configuration.

The name comes from the configuration, so it is untrusted: the file must be, every link
resolved, a regular file inside the configuration's directory; anything else is refused by name
without being opened or quoted. A file that is not JSON, or holds what Lua cannot hold, is an
error with its file, line and column, on the configuration line that read it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from kodos.config.load import load_config
from kodos.errors import ConfigError
from tests.lua_helpers import evaluate, write_config

SECRET = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n"
OUTSIDE = "it leads outside the configuration's directory"
READ = 'local data = require("kodos.data")\nreturn {{ value = data.json({name}) }}'


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "config"
    directory.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "id_ed25519").write_text(SECRET)
    (outside / "host.json").write_text('{"stolen": true}')
    return directory


def read(config_dir: Path, name: str = '"host.json"') -> object:
    return evaluate(config_dir, READ.format(name=name))["value"]


def problem(config_dir: Path, name: str = '"host.json"') -> str:
    with pytest.raises(ConfigError) as raised:
        read(config_dir, name)
    [found] = raised.value.problems
    assert "PRIVATE KEY" not in str(found) and "stolen" not in str(found)
    return str(found)


def test_the_json_file_becomes_lua_values(config_dir: Path) -> None:
    document = (
        '{"hostname": "alpha", "packages": ["htop", "git"], "cores": 4, "ratio": 0.5,'
        ' "laptop": false, "nested": {"ünïcode": "ŝtring", "empty": [], "none": {}}}'
    )
    (config_dir / "host.json").write_text(document)
    assert read(config_dir) == {
        "hostname": "alpha",
        "packages": ["htop", "git"],
        "cores": 4,
        "ratio": 0.5,
        "laptop": False,
        "nested": {"ünïcode": "ŝtring", "empty": {}, "none": {}},
    }
    (config_dir / "sub").mkdir()
    (config_dir / "sub/list.json").write_text('[1, "two", [3]]')
    assert read(config_dir, '"sub/../sub/list.json"') == [1, "two", [3]]
    (config_dir / "count.json").write_text("7")
    assert read(config_dir, '"count.json"') == 7


def test_integers_stay_integers_and_floats_floats(config_dir: Path) -> None:
    (config_dir / "host.json").write_text('{"i": 9007199254740993, "f": 2.0}')
    source = (
        'local v = require("kodos.data").json("host.json")\n'
        "return { math.type(v.i), math.type(v.f), tostring(v.i) }"
    )
    assert evaluate(config_dir, source) == ["integer", "float", "9007199254740993"]


def test_links_inside_the_directory_are_followed(config_dir: Path) -> None:
    (config_dir / "hosts").mkdir()
    (config_dir / "hosts/alpha.json").write_text('{"hostname": "alpha"}')
    (config_dir / "host.json").symlink_to("hosts/alpha.json")
    assert read(config_dir) == {"hostname": "alpha"}


@pytest.mark.parametrize(
    ("make", "name", "message"),
    [
        (
            lambda d: (d / "host.json").symlink_to(d.parent / "outside/id_ed25519"),
            '"host.json"',
            f"cannot read host.json: {OUTSIDE}",
        ),
        (
            lambda d: (d / "host.json").symlink_to("../outside/host.json"),
            '"host.json"',
            f"cannot read host.json: {OUTSIDE}",
        ),
        (lambda d: None, '"../outside/host.json"', f"cannot read ../outside/host.json: {OUTSIDE}"),
        (
            lambda d: (d / "hosts").symlink_to("../outside"),
            '"hosts/host.json"',
            f"cannot read hosts/host.json: {OUTSIDE}",
        ),
        (
            lambda d: (d / "host.json").symlink_to("/proc/self/environ"),
            '"host.json"',
            f"cannot read host.json: {OUTSIDE}",
        ),
        (
            lambda d: os.mkfifo(d / "host.json"),
            '"host.json"',
            "cannot read host.json: not a regular file",
        ),
        (
            lambda d: (d / "host.json").mkdir(),
            '"host.json"',
            "cannot read host.json: not a regular file",
        ),
        (lambda d: None, '"host.json"', "cannot read host.json: no such file"),
        (
            lambda d: None,
            '"/etc/passwd"',
            "/etc/passwd is an absolute path; name a file in the configuration's directory",
        ),
        (lambda d: None, '""', "invalid file name ''"),
        (lambda d: None, '"a\\0b"', "invalid file name 'a\\x00b'"),
    ],
    ids=[
        "link to a private key",
        "relative link out",
        "dot-dot out",
        "linked directory out",
        "link to /proc",
        "fifo",
        "directory",
        "missing",
        "absolute",
        "empty name",
        "nul in the name",
    ],
)
def test_files_that_leave_the_rule_are_refused(
    config_dir: Path, make: Callable[[Path], object], name: str, message: str
) -> None:
    make(config_dir)
    assert problem(config_dir, name) == f"configuration.lua:2: kodos.data.json: {message}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '{"hostname": "alpha",\n "packages": ["htop" "git"]}',
            "host.json:2:22: invalid JSON: Expecting ',' delimiter",
        ),
        ("", "host.json:1:1: invalid JSON: Expecting value"),
        ('{"a": 1} trailing', "host.json:1:10: invalid JSON: Extra data"),
        ('{"hostname": null}', "host.json: hostname is null, which Lua cannot hold; leave it out"),
        (
            '{"disks": [1, null]}',
            "host.json: disks[2] is null, which Lua cannot hold; leave it out",
        ),
        ("null", "host.json: the document is null, which Lua cannot hold; leave it out"),
        ('{"n": 9223372036854775808}', "host.json: n is too large for a Lua integer"),
        ('{"n": 1e400}', "host.json: n is too large for a Lua number"),
        ('{"n": NaN}', "host.json: invalid JSON: NaN is not a JSON number"),
        ('{"n": -Infinity}', "host.json: invalid JSON: -Infinity is not a JSON number"),
    ],
    ids=[
        "missing comma",
        "empty",
        "trailing text",
        "null value",
        "null in a list",
        "null document",
        "integer over 64 bits",
        "float overflow",
        "NaN",
        "infinity",
    ],
)
def test_bad_json_is_a_located_error(config_dir: Path, text: str, message: str) -> None:
    (config_dir / "host.json").write_text(text)
    assert problem(config_dir) == f"configuration.lua:2: kodos.data.json: {message}"


def test_invalid_utf8_is_refused(config_dir: Path) -> None:
    (config_dir / "host.json").write_bytes(b'{"a": "\xff"}')
    assert problem(config_dir) == (
        "configuration.lua:2: kodos.data.json: cannot read host.json: not valid UTF-8 text"
    )


def test_the_argument_must_be_a_string_and_the_module_is_read_only(config_dir: Path) -> None:
    assert problem(config_dir, "42") == (
        "configuration.lua:2: kodos.data.json: expected a file name (a string), got a number"
    )
    with pytest.raises(ConfigError) as raised:
        evaluate(config_dir, 'local data = require("kodos.data")\ndata.json = print\nreturn {}')
    assert str(raised.value) == "configuration.lua:2: kodos.data is read-only"


def test_the_data_file_is_part_of_the_configuration_digest(config_dir: Path) -> None:
    """A host's variables change what it gets: a plan saved before they changed is stale."""
    write_config(
        config_dir,
        'local host = require("kodos.data").json("host.json")\n'
        "return { network = { hostname = host.hostname } }",
    )
    (config_dir / "host.json").write_text('{"hostname": "alpha"}')
    first = load_config(str(config_dir))
    (config_dir / "host.json").write_text('{"hostname": "alpha" }')
    second = load_config(str(config_dir))
    assert first.config.network.hostname == "alpha"
    assert first.digest != second.digest
