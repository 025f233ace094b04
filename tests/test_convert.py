"""Lua tables become lists or dicts; ambiguous or unrepresentable tables are located problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.errors import ConfigError
from tests.lua_helpers import evaluate


@pytest.mark.parametrize(
    ("lua", "python"),
    [
        ("{ 'a', 'b' }", ["a", "b"]),
        ("{ a = 1, ['b-c'] = 2 }", {"a": 1, "b-c": 2}),
        ("{}", {}),
        ("{ [1] = 'x', [2] = 'y' }", ["x", "y"]),
        ("{ 1, 2.5, -3, 1e3 }", [1, 2.5, -3, 1000.0]),
        ("{ true, false }", [True, False]),
        ("{ { {} } }", [[{}]]),
        ("{ ['with space'] = { ['1'] = 'string key' } }", {"with space": {"1": "string key"}}),
        ("{ 'é', '日本' }", ["é", "日本"]),
    ],
)
def test_tables_convert(tmp_path: Path, lua: str, python: object) -> None:
    assert evaluate(tmp_path, f"return {{ value = {lua} }}") == {"value": python}


def test_integral_floats_stay_floats_and_integers_stay_integers(tmp_path: Path) -> None:
    value = evaluate(tmp_path, "return { a = 3, b = 3.0, c = 2^53 }")
    assert value == {"a": 3, "b": 3.0, "c": 2.0**53}
    assert isinstance(value["a"], int)
    assert isinstance(value["b"], float)


def test_dict_keys_come_out_sorted(tmp_path: Path) -> None:
    value = evaluate(tmp_path, "return { zeta = 1, alpha = 2, mid = 3 }")
    assert list(value) == ["alpha", "mid", "zeta"]


@pytest.mark.parametrize(
    ("lua", "message"),
    [
        ("{ 1, 2, a = 3 }", "x: a table mixes list items with named keys; use one or the other"),
        ("{ [1] = 'a', [3] = 'c' }", "x: a list with a hole: item 2 is nil"),
        ("{ 'a', nil, 'c' }", "x: a list with a hole: item 2 is nil"),
        ("{ [2] = 'b' }", "x: a list with a hole: item 1 is nil"),
        ("{ [0] = 'zero' }", "x: a list with a hole: item 1 is nil"),
        ("{ [1.5] = 1 }", "x: table keys must be names or list positions, not the number 1.5"),
        ("{ [true] = 1 }", "x: table keys must be names or list positions, not the boolean true"),
        ("{ [{}] = 1 }", "x: table keys must be names or list positions, not a table"),
        ("{ [print] = 1 }", "x: table keys must be names or list positions, not a function"),
        ("{ a = 1, [{}] = 2 }", "x: table keys must be names or list positions, not a table"),
        ("{ [{}] = 1, [{}] = 2 }", "x: table keys must be names or list positions, not a table"),
        ("{ f = print }", "x.f: a function is not a configuration value"),
        ("{ { print } }", "x[1][1]: a function is not a configuration value"),
        ("{ ['a b'] = { print } }", 'x["a b"][1]: a function is not a configuration value'),
    ],
)
def test_unrepresentable_tables_are_located(tmp_path: Path, lua: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        evaluate(tmp_path, f"return {{ x = {lua} }}")
    assert [str(p) for p in raised.value.problems] == [message]


def test_every_conversion_problem_is_reported(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        evaluate(tmp_path, "return { a = print, b = { 1, x = 2 }, c = { [2] = 1 } }")
    assert [str(p) for p in raised.value.problems] == [
        "a: a function is not a configuration value",
        "b: a table mixes list items with named keys; use one or the other",
        "c: a list with a hole: item 1 is nil",
    ]


def test_a_table_that_contains_itself(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        evaluate(tmp_path, "local t = {} t.t = t return { x = t }")
    assert [str(p) for p in raised.value.problems] == [
        "x.t.t…: tables nested more than 64 deep (does a table contain itself?)"
    ]


def test_returning_a_list_at_the_top_is_rejected_by_the_loader(tmp_path: Path) -> None:
    from kodos.config.load import load_config

    (tmp_path / "configuration.lua").write_text("return { 'htop' }")
    with pytest.raises(ConfigError) as raised:
        load_config(str(tmp_path))
    assert [str(p) for p in raised.value.problems] == [
        f"{tmp_path}/configuration.lua: the configuration must return a table of named sections, "
        "not a list"
    ]
