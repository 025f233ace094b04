"""Long or huge values are cut in messages; a flood of problems is the first 20 and a count."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.config.load import load_config
from kodos.errors import ConfigError
from tests.lua_helpers import write_config

BIG = 30_000_000
H80 = "h" * 80
CUT = f"{H80}…"


def problems(tmp_path: Path, source: str) -> list[str]:
    write_config(tmp_path, source)
    with pytest.raises(ConfigError) as raised:
        load_config(str(tmp_path))
    return [str(p).removeprefix(f"{tmp_path}/") for p in raised.value.problems]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        (
            f"return {{ network = {{ hostname = ('h'):rep({BIG}) .. '!' }} }}",
            f'network.hostname: "{CUT}" ({BIG + 1} characters) is not a valid host name: '
            "letters, digits and -, in dot-separated labels of at most 63",
        ),
        (
            f"return {{ network = {{ [('h'):rep({BIG})] = 1 }} }}",
            f'network["{CUT} ({BIG} characters)"]: unknown key (known keys here: hostname, ipv6)',
        ),
        (
            f"return {{ users = {{ [('H'):rep({BIG})] = {{}} }} }}",
            f'users["{"H" * 80}… ({BIG} characters)"]: invalid key: "{"H" * 80}…" '
            f"({BIG} characters) is not a valid user name: lowercase letters, digits, _ and -, "
            "starting with a letter or _, at most 32",
        ),
        (
            f"return {{ repos = {{ x = {{ type = ('h'):rep({BIG}) }} }} }}",
            f"repos.x: unknown type '{CUT}' ({BIG} characters); "
            "expected one of 'arch', 'aur', 'flatpak'",
        ),
        (
            f"error(('h'):rep({BIG}))",
            f"configuration.lua:1: {'h' * 1000}… ({BIG} characters)",
        ),
        (
            f"local m = require(('h'):rep({BIG}))",
            f"configuration.lua:1: require: invalid module name {CUT} ({BIG} characters) "
            "(at most 255 of letters, digits, '_' and '-', with '.' between directory parts)",
        ),
        (
            "return { packages = { ('x'):rep(100) .. ' y' } }",
            f'packages[1]: "{"x" * 80}…" (102 characters) is not a valid package name: '
            "lowercase letters, digits and @._+- only, not starting with - or .",
        ),
    ],
    ids=[
        "30 MB hostname",
        "30 MB key",
        "30 MB user name",
        "30 MB union tag",
        "30 MB Lua error",
        "30 MB module name",
        "long package name",
    ],
)
def test_huge_values_are_cut(tmp_path: Path, source: str, expected: str) -> None:
    assert problems(tmp_path, source) == [expected]


def test_short_values_are_shown_whole(tmp_path: Path) -> None:
    assert problems(tmp_path, "return { network = { hostname = 'a b' } }") == [
        'network.hostname: "a b" is not a valid host name: letters, digits and -, in '
        "dot-separated labels of at most 63"
    ]


@pytest.mark.parametrize("count", [21, 500_000])
def test_many_bad_names_give_the_first_twenty_and_a_count(tmp_path: Path, count: int) -> None:
    source = (
        f"local t = {{}} for i = 1, {count} do t[i] = 'Bad ' .. i end return {{ packages = t }}"
    )
    found = problems(tmp_path, source)
    rule = "lowercase letters, digits and @._+- only, not starting with - or ."
    assert found[:20] == [
        f'packages[{i}]: "Bad {i}" is not a valid package name: {rule}' for i in range(1, 21)
    ]
    rest = count - 20
    assert found[20:] == [f"… and {rest} more problem{'s' if rest > 1 else ''}"]


def test_many_problems_after_validation_are_cut_too(tmp_path: Path) -> None:
    # names valid as keys, but not as the package each item installs by default
    items = ", ".join(f"['Item{i}'] = {{ enable = true }}" for i in range(25))
    found = problems(tmp_path, f"return {{ hardware = {{ {items} }} }}")
    assert found[0] == (
        "hardware.Item0: 'Item0' is not a package name; set `package` to the package"
    )
    assert len(found) == 21 and found[-1] == "… and 5 more problems"


def test_validate_counts_every_problem(tmp_path: Path) -> None:
    import subprocess
    import sys

    source = "local t = {} for i = 1, 25 do t[i] = 'Bad ' .. i end return { packages = t }"
    write_config(tmp_path, source)
    done = subprocess.run(
        [sys.executable, "-m", "kodos", "validate", "-c", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = done.stderr.splitlines()
    assert len(lines) == 22
    assert lines[-2:] == ["error: … and 5 more problems", f"{tmp_path}: 25 problems found"]
