"""The Lua sandbox: each escape attempt fails with a located message; limits stop runaways."""

from __future__ import annotations

from pathlib import Path

import pytest

from kodos.errors import ConfigError
from kodos.lua.evaluator import Limits
from tests.lua_helpers import evaluate, write_config

NAME_RULE = "(use letters, digits, '_' and '-', with '.' between directory parts)"


def removed(name: str) -> str:
    return (
        f"configuration.lua:1: {name} is not available in a configuration: it runs in a sandbox "
        "without access to files, processes or the environment"
    )


def problem(tmp_path: Path, source: str, limits: Limits | None = None) -> str:
    with pytest.raises(ConfigError) as raised:
        evaluate(tmp_path, source, limits)
    assert len(raised.value.problems) == 1
    return str(raised.value.problems[0])


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("os.execute('id')", removed("os.execute")),
        (
            "return os.getenv('HOME')",
            removed("os.getenv"),
        ),
        (
            "return io.open('/etc/passwd')",
            removed("io"),
        ),
        (
            "return package.loaded",
            removed("package"),
        ),
        (
            "return debug.getinfo(1)",
            removed("debug"),
        ),
        (
            "dofile('/etc/passwd')",
            removed("dofile"),
        ),
        (
            "loadfile('/etc/passwd')",
            removed("loadfile"),
        ),
        (
            "return string.dump(print)",
            "configuration.lua:1: attempt to call a nil value (field 'dump')",
        ),
        (
            "return ('').dump(print)",
            "configuration.lua:1: attempt to call a nil value (field 'dump')",
        ),
        (
            "return getmetatable('').__index",
            "configuration.lua:1: attempt to index a boolean value",
        ),
        (
            "return python.eval('1')",
            removed("python"),
        ),
        (
            "return coroutine.create(print)",
            removed("coroutine"),
        ),
        ("path.config_dir = '/'", "configuration.lua:1: path is read-only"),
        ("load(print)", "configuration.lua:1: load: a configuration may only load Lua source text"),
        (
            "local m = require('../../etc/passwd')",
            "configuration.lua:1: require: invalid module name ../../etc/passwd " + NAME_RULE,
        ),
        (
            "local m = require('/etc/passwd')",
            "configuration.lua:1: require: invalid module name /etc/passwd " + NAME_RULE,
        ),
    ],
)
def test_escape_attempts_fail(tmp_path: Path, source: str, message: str) -> None:
    assert problem(tmp_path, source) == message


@pytest.mark.parametrize(
    "replacement",
    [
        "string.match = function() return 'ok' end",
        "string.find = function() return nil end",
        "string.sub = function() return 'x' end",
        "string.match = function() return 'ok' end string.find = function() return nil end "
        "string.sub = function() return 'x' end",
    ],
)
@pytest.mark.parametrize("name", ["/etc/os-release", "../../../../etc/os-release", "a..b."])
def test_replaced_string_functions_do_not_widen_require(
    tmp_path: Path, replacement: str, name: str
) -> None:
    """The sandbox checks module names with its own saved functions (and the host checks
    them again), whatever the configuration put in its string table."""
    assert problem(tmp_path, f"{replacement}\nlocal m = require('{name}')") == (
        f"configuration.lua:2: require: invalid module name {name} {NAME_RULE}"
    )


def test_replaced_string_sub_does_not_run_while_an_error_is_formatted(tmp_path: Path) -> None:
    source = "string.sub = function() while true do end end\nerror('boom')"
    assert problem(tmp_path, source) == "configuration.lua:2: boom"


def test_binary_chunks_cannot_be_loaded(tmp_path: Path) -> None:
    source = "local f, err = load('\\27Lua\\84\\0', 'x', 'b') return { err = err }"
    assert evaluate(tmp_path, source) == {"err": "attempt to load a binary chunk (mode is 't')"}


def test_the_string_library_of_the_host_is_untouched(tmp_path: Path) -> None:
    # string methods still work through the (hidden) metatable, but changes cannot escape
    source = "string.upper = nil; return { s = ('abc'):upper(), mt = getmetatable('') }"
    evaluate(tmp_path, "return {}")
    assert evaluate(tmp_path, "return { s = ('abc'):upper() }") == {"s": "ABC"}
    with pytest.raises(ConfigError):
        evaluate(tmp_path, source)


def test_endless_loop_is_stopped_with_its_line(tmp_path: Path) -> None:
    limits = Limits(max_instructions=100_000)
    text = problem(tmp_path, "local x = 1\nwhile true do x = x + 1 end", limits)
    assert text == (
        "configuration.lua:2: evaluation stopped after 100000 Lua instructions; "
        "is there an endless loop?"
    )


def test_pcall_cannot_swallow_the_instruction_limit(tmp_path: Path) -> None:
    limits = Limits(max_instructions=100_000)
    source = "while true do pcall(function() while true do end end) end"
    assert "evaluation stopped after 100000 Lua instructions" in problem(tmp_path, source, limits)


def test_memory_bomb_is_stopped(tmp_path: Path) -> None:
    source = "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(1000) .. i end"
    text = problem(tmp_path, source, Limits(max_memory_bytes=16 * 1024 * 1024))
    assert text == "configuration.lua: evaluation stopped: the configuration used more than 16 MiB"


def test_print_goes_to_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert evaluate(tmp_path, "print('hello', 1, nil, true) return {}") == {}
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "hello\t1\tnil\ttrue\n"


def test_require_prefers_the_config_directory_then_lua_lib(tmp_path: Path) -> None:
    write_config(tmp_path, "return { 'local' }", "repos.lua")
    write_config(tmp_path, "return { 'nested' }", "lists/cli.lua")
    source = """
        local disk = require('disk')
        return {
            mine = require('repos'),
            nested = require('lists.cli'),
            lib = disk.disk_definition('/dev/vda'),
            same = require('repos') == require('repos'),
        }
    """
    assert evaluate(tmp_path, source) == {
        "mine": ["local"],
        "nested": ["nested"],
        "lib": {"type": "disk", "device": "/dev/vda"},
        "same": True,
    }


def test_required_modules_run_in_the_same_sandbox(tmp_path: Path) -> None:
    write_config(
        tmp_path, "return { os = rawget(os, 'execute'), io = rawget(_G, 'io') }", "probe.lua"
    )
    assert evaluate(tmp_path, "return require('probe')") == {}


def test_errors_in_required_modules_name_that_module(tmp_path: Path) -> None:
    write_config(tmp_path, "local x = {\n  a = 1\n  b = 2\n}\nreturn x", "broken.lua")
    assert problem(tmp_path, "return require('broken')") == (
        "broken.lua:3: '}' expected (to close '{' at line 1) near 'b'"
    )


def test_missing_module_lists_where_it_looked(tmp_path: Path) -> None:
    assert problem(tmp_path, "local m = require('lists.nope')") == (
        "configuration.lua:1: require: module 'lists.nope' not found "
        "(looked for lists/nope.lua and lua-lib/lists/nope.lua)"
    )


def test_require_cycle_is_reported(tmp_path: Path) -> None:
    write_config(tmp_path, "local b = require('b')\nreturn b", "a.lua")
    write_config(tmp_path, "local a = require('a')\nreturn a", "b.lua")
    assert problem(tmp_path, "return require('a')") == (
        "b.lua:1: require: module 'a' requires itself"
    )


def test_a_tail_call_points_at_the_nearest_line_lua_still_knows(tmp_path: Path) -> None:
    # `return f(...)` replaces the caller's frame: Lua no longer knows a.lua's line, so the
    # error names the line that required a.lua.
    write_config(tmp_path, "return require('missing')", "a.lua")
    assert problem(tmp_path, "local a = require('a')\nreturn a").startswith(
        "configuration.lua:1: require: module 'missing' not found"
    )


def test_upstream_helpers(tmp_path: Path) -> None:
    source = """
        local base = list{ 'a', 'b' }
        return {
            joined = base .. list{ 'c' } .. { 'd' },
            merged = map{ x = 1, y = 1 } .. { y = 2 },
            dropped = list{ 'e' } .. If(false, list{ 'f' }),
            kept = If(true, 'v'),
            missing = If(false, 'v'),
            chosen = IfElse(false, 'a', 'b'),
            base = base,
        }
    """
    assert evaluate(tmp_path, source) == {
        "joined": ["a", "b", "c", "d"],
        "merged": {"x": 1, "y": 2},
        "dropped": ["e"],
        "kept": "v",
        "chosen": "b",
        "base": ["a", "b"],
    }


def test_concatenating_a_list_with_a_string_is_located(tmp_path: Path) -> None:
    assert problem(tmp_path, "local l = list{}\nreturn { x = l .. 'a' }") == (
        "configuration.lua:2: list: '..' joins two tables, got a table and a string"
    )


def test_path_helpers(tmp_path: Path) -> None:
    source = """
        return {
            joined = path.join('a', 'b/', 'c'),
            absolute = path.join('a', '/b'),
            base = path.basename('/x/y.lua'),
            dir = path.dirname('/x/y.lua'),
            root = path.dirname('/x'),
            here = path.config_dir,
        }
    """
    assert evaluate(tmp_path, source) == {
        "joined": "a/b/c",
        "absolute": "/b",
        "base": "y.lua",
        "dir": "/x",
        "root": "/",
        "here": str(tmp_path.resolve()),
    }


def test_runtime_error_keeps_the_users_message_and_line(tmp_path: Path) -> None:
    assert problem(tmp_path, "local x = 1\nerror('no swap here')") == (
        "configuration.lua:2: no swap here"
    )


def test_error_with_a_table_value_keeps_its_line(tmp_path: Path) -> None:
    assert problem(tmp_path, "local x = 1\nerror({})") == (
        "configuration.lua:2: error called with a table instead of a message string"
    )


def test_invalid_utf8_is_a_located_problem(tmp_path: Path) -> None:
    assert problem(tmp_path, "return { packages = { 'git', 'caf\\xe9' } }") == (
        "packages[2]: a string that is not valid UTF-8"
    )


def test_long_file_names_keep_their_location(tmp_path: Path) -> None:
    from kodos.lua.evaluator import evaluate_file

    name = "a-configuration-file-name-longer-than-lua-keeps-in-its-messages.lua"
    path = write_config(tmp_path, "local x = 1\nerror('boom')", name)
    with pytest.raises(ConfigError) as raised:
        evaluate_file(path, name)
    assert str(raised.value.problems[0]) == f"{name}:2: boom"


def test_nothing_returned(tmp_path: Path) -> None:
    assert problem(tmp_path, "local x = 1") == (
        "configuration.lua: the configuration returns nothing; end it with `return { ... }`"
    )
