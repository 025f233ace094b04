"""The guarded child: no configuration hangs or exhausts memory, by any path; the child holds
no inherited descriptor (so never the machine lock) and dies with its parent."""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kodos.errors import ConfigError
from kodos.lua.evaluator import Limits, evaluate_config
from tests.lua_helpers import evaluate, write_config

WALL = 2.0
STOPPED = "configuration.lua: evaluation stopped after 2 seconds; is there an endless loop?"
MEMORY = "configuration.lua: evaluation stopped: the configuration used more than 64 MiB"

ENDLESS_FINALIZER = "setmetatable({}, { __gc = function() while true do end end }) return {}"
HANGS = {
    # finalizers run with the instruction hook off: during a collection, and when the runtime
    # closes after the configuration returned
    "__gc during evaluation": """
        setmetatable({}, { __gc = function() while true do end end })
        local t = {} for i = 1, 1e6 do t[i % 100] = {} end
        return {}""",
    "__gc when the runtime closes": """
        setmetatable({}, { __gc = function() while true do end end })
        return {}""",
    # __close runs while an error unwinds, after the message handler turned the hook off
    "__close while an error unwinds": """
        local guard <close> = setmetatable({}, { __close = function() while true do end end })
        error('boom')""",
    # C functions never return to the VM, where the hook would fire
    "string.find backtracking": """
        return { x = string.find(string.rep('a', 30000), string.rep('a*', 30) .. 'b') }""",
    "string.match backtracking": """
        return { x = ('a'):rep(30000):match(('a-'):rep(30) .. 'b') }""",
    "gsub with a backtracking pattern": """
        return { x = ('a'):rep(30000):gsub(('a*'):rep(30) .. 'b', '') }""",
}


@pytest.mark.parametrize("source", HANGS.values(), ids=HANGS.keys())
def test_hangs_end_at_the_deadline(tmp_path: Path, source: str) -> None:
    started = time.monotonic()
    with pytest.raises(ConfigError) as raised:
        evaluate(tmp_path, source, Limits(wall_seconds=WALL))
    elapsed = time.monotonic() - started
    assert [str(p) for p in raised.value.problems] == [STOPPED]
    assert elapsed < WALL + 2


MEMORY_FORMS = {
    # kilobyte rows: the cap comes after ~60,000 of them, long before the deadline even on a
    # loaded machine (100-byte rows once needed 600,000 and met the deadline first there)
    "a table that grows": "local t = {} for i = 1, 1e9 do t[i] = ('x'):rep(1000) .. i end",
    "one string.rep inside C": "return { x = string.rep('x', 3e8) }",
    "gsub that multiplies": "return { x = (('x'):rep(1e6)):gsub('x', ('y'):rep(1000)) }",
    "table.concat": "local t = {} for i = 1, 100 do t[i] = ('x'):rep(1e6) end "
    "return { x = table.concat(t):rep(10) }",
    # within Lua's cap, but each reference to the string becomes its own Python copy
    "conversion copies": "local s = ('x'):rep(5e7) return { a = { s, s, s, s, s, s, s, s } }",
}


@pytest.mark.parametrize("source", MEMORY_FORMS.values(), ids=MEMORY_FORMS.keys())
def test_memory_forms_stop_at_the_cap(tmp_path: Path, source: str) -> None:
    limits = Limits(max_memory_bytes=64 * 1024 * 1024, wall_seconds=WALL * 3)
    started = time.monotonic()
    with pytest.raises(ConfigError) as raised:
        evaluate(tmp_path, source, limits)
    assert [str(p) for p in raised.value.problems] == [MEMORY]
    assert time.monotonic() - started < WALL * 3


def test_a_dag_of_shared_tables_is_bounded(tmp_path: Path) -> None:
    source = "local a = {} for i = 1, 40 do a = { a, a } end return { packages = a }"
    with pytest.raises(ConfigError) as raised:
        evaluate(tmp_path, source)
    assert [str(p) for p in raised.value.problems] == [
        "packages[1][1]…: the configuration returns more than 100000 tables "
        "(is one table shared many times?)"
    ]


def test_many_values_are_bounded(tmp_path: Path) -> None:
    source = "local t = {} for i = 1, 2000 do t[i] = i end return { x = { t, t } }"
    with pytest.raises(ConfigError) as raised:
        evaluate(tmp_path, source, Limits(max_values=3000))
    assert [str(p) for p in raised.value.problems] == [
        "x[2][997]: the configuration returns more than 3000 values "
        "(is one table shared many times?)"
    ]


def test_a_crash_of_the_child_is_a_located_problem(tmp_path: Path) -> None:
    # Nothing a configuration can do crashes the child; a signal from outside stands in.
    write_config(tmp_path, ENDLESS_FINALIZER)
    found: list[int] = []

    def kill_the_child() -> None:
        found.extend(_wait_for_children())
        os.kill(found[0], signal.SIGSEGV)

    killer = threading.Thread(target=kill_the_child)
    killer.start()
    with pytest.raises(ConfigError) as raised:
        evaluate_config(tmp_path / "configuration.lua", "configuration.lua", _long())
    killer.join()
    assert [str(p) for p in raised.value.problems] == [
        "configuration.lua: evaluation stopped: the evaluator ended with signal 11 (SIGSEGV)"
    ]


def test_the_child_keeps_no_inherited_descriptor(tmp_path: Path) -> None:
    """The machine lock is an flock on a descriptor apply holds while it plans: a child that
    kept a copy would keep the lock after kodos released it (or died)."""
    lock_path = tmp_path / "machine.lock"
    lock = os.open(lock_path, os.O_RDWR | os.O_CREAT)  # inheritable, the worst case
    os.set_inheritable(lock, True)
    fcntl.flock(lock, fcntl.LOCK_EX)
    write_config(tmp_path, ENDLESS_FINALIZER)
    descriptors: dict[str, str] = {}
    relocked: list[bool] = []

    def inspect_the_child() -> None:
        child = _wait_for_children()[0]
        for fd in os.listdir(f"/proc/{child}/fd"):
            descriptors[fd] = os.readlink(f"/proc/{child}/fd/{fd}")
        os.close(lock)  # kodos releases the lock: nobody may hold it now
        other = os.open(lock_path, os.O_RDWR)
        try:
            fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
            relocked.append(True)
        finally:
            os.close(other)
        os.kill(child, signal.SIGKILL)

    inspector = threading.Thread(target=inspect_the_child)
    inspector.start()
    with pytest.raises(ConfigError):
        evaluate_config(tmp_path / "configuration.lua", "configuration.lua", _long())
    inspector.join()
    pipes = {fd for fd, target in descriptors.items() if target.startswith("pipe:")}
    assert {descriptors[fd] for fd in ("0", "1", "2")} == {"/dev/null"}
    assert len(pipes) == 1 and set(descriptors) == {"0", "1", "2", *pipes}
    assert relocked == [True]


def test_the_child_dies_with_its_parent(tmp_path: Path) -> None:
    write_config(tmp_path, ENDLESS_FINALIZER)
    script = (
        "import sys; from pathlib import Path; from kodos.lua.evaluator import Limits, "
        "evaluate_config; evaluate_config(Path(sys.argv[1]), 'c.lua', Limits(wall_seconds=600))"
    )
    parent = subprocess.Popen([sys.executable, "-c", script, str(tmp_path / "configuration.lua")])
    try:
        child = _wait_for_children(parent.pid)[0]
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 5
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not _alive(child)
    finally:
        parent.kill()
        parent.wait()


def _long() -> Limits:
    return Limits(wall_seconds=60)


def _wait_for_children(pid: int | None = None, timeout: float = 10) -> list[int]:
    pid = pid or os.getpid()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        children = []
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", encoding="ascii") as listing:
                children += [int(c) for c in listing.read().split()]
        if children:
            time.sleep(0.3)  # let the child finish setting itself up
            return children
        time.sleep(0.02)
    raise AssertionError("no child process appeared")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_only_kodos_own_files_are_evaluated_without_a_guard(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """lua-lib's descriptors can require only lua-lib, so they run in-process; everything
    else — a configuration, a descriptor in a configuration's directory — is guarded."""
    from kodos.lua import guard
    from kodos.lua.evaluator import evaluate_file, lua_lib_dir

    def no_child(*args: object, **kwargs: object) -> object:
        raise AssertionError("forked")

    monkeypatch.setattr(guard, "run_guarded", no_child)
    own = lua_lib_dir() / "expansions" / "hardware" / "bluetooth.lua"
    assert evaluate_file(own, str(own))["package"] == "bluez"
    user = write_config(tmp_path, "return { package = 'bluez' }", "expansions/hardware/x.lua")
    with pytest.raises(AssertionError, match="forked"):
        evaluate_file(user, str(user))


def test_a_defect_in_the_child_comes_back_with_its_traceback() -> None:
    from kodos.lua.guard import ChildFailed, run_guarded

    def broken(emit: object) -> object:
        return {}["missing"]

    with pytest.raises(ChildFailed) as raised:
        run_guarded(broken, wall_seconds=WALL, memory_bytes=1 << 28, on_output=print)
    assert str(raised.value).splitlines()[-1] == "KeyError: 'missing'"


@pytest.mark.parametrize("closed", [(0,), (0, 1)], ids=["stdin", "stdin and stdout"])
def test_evaluation_works_with_stdio_closed(tmp_path: Path, closed: tuple[int, ...]) -> None:
    """The child's pipe may then take descriptor 0 or 1, which the child points at
    /dev/null: it moves the pipe out of the way first."""
    write_config(tmp_path, "print('hello')\nreturn { network = { hostname = 'x' } }")

    def close_stdio() -> None:
        for fd in closed:
            os.close(fd)

    done = subprocess.run(
        [sys.executable, "-m", "kodos", "validate", "-c", str(tmp_path)],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=close_stdio,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "hello\n"
