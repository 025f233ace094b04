"""Run one piece of work in a forked child that cannot outlive its deadline or its memory.

The Lua sandbox's instruction hook cannot stop everything: finalizers (`__gc`) and `__close`
run with hooks off, C functions (`string.find` with a pathological pattern, `string.rep`) run
without returning to the VM, and converting a table to Python happens outside Lua altogether.
So the whole evaluation runs in a child process that the parent watches:

* a wall-clock deadline, enforced by the parent (it kills the child with SIGKILL), and a CPU
  limit (RLIMIT_CPU) in the child as a backstop;
* an address-space limit (RLIMIT_AS): twice the memory cap above what the child started with
  (the Lua heap itself is held to the cap by the runtime's allocator; converting the result to
  Python copies it once more);
* the child keeps no descriptor it inherited (so it can never hold the machine lock that
  `apply` takes) — it has its pipe to the parent and /dev/null as stdin/stdout/stderr — and it
  dies with its parent (PR_SET_PDEATHSIG).

A fork costs about a millisecond here and starts from the parent's imports; a fresh interpreter
costs tens of milliseconds (measured in benchmarks/evaluate.py), so the child is forked.

The child talks to the parent through framed messages on the pipe: text for stderr (`print`
in a configuration) as it is written, then one JSON result. JSON, not pickle: the child ran
untrusted code, and what it sends back must be data, never something that runs.
"""

from __future__ import annotations

import ctypes
import fcntl
import functools
import gc
import json
import os
import resource
import select
import signal
import struct
import time
import traceback
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1
_HEADER = struct.Struct("!cQ")  # kind, payload length
_OUTPUT, _RESULT, _FAILURE = b"o", b"r", b"x"


class Breach(Exception):
    """The child ran out of time or memory, or died; `kind` says which."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(kind, detail)
        self.kind = kind  # "time", "memory" or "crash"
        self.detail = detail


class ChildFailed(Exception):
    """The work raised in the child (a defect); the message is the child's traceback."""


Work = Callable[[Callable[[str], None]], Any]
"""The work to run: called with a function that sends text to the parent's stderr; returns
JSON-serializable data."""


def run_guarded(
    work: Work,
    *,
    wall_seconds: float,
    memory_bytes: int,
    on_output: Callable[[str], None],
    meanwhile: Callable[[], object] | None = None,
) -> Any:
    """Run `work` in a child; return what it returned. Raises Breach when a limit is hit.

    `meanwhile` runs in the parent while the child works (on another core): what the parent
    will need next, imported now instead of after. The child's deadline is checked once it
    returns (the CPU limit holds meanwhile), so it should take a fraction of the deadline."""
    deadline = time.monotonic() + wall_seconds
    prctl = _prctl()  # looked up here, once: loading libc in every child costs milliseconds
    read_end, write_end = os.pipe2(os.O_CLOEXEC)
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # the child never returns from here
        os.close(read_end)
        _run_child(work, write_end, parent, prctl, wall_seconds, memory_bytes)
    os.close(write_end)
    child = _Child(pid)
    try:
        if meanwhile is not None:
            meanwhile()
        return _receive(read_end, child, deadline, on_output)
    finally:
        os.close(read_end)
        child.stop()


def _run_child(
    work: Work, channel: int, parent: int, prctl: Any, wall_seconds: float, memory: int
) -> None:
    status = 1
    try:
        _die_with(parent, prctl)
        channel = _keep_only(channel)
        gc.disable()  # objects the parent owns must not be finalized (and close fds) here
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _limit(wall_seconds, memory)

        def emit(text: str) -> None:
            _send(channel, _OUTPUT, text.encode("utf-8", "replace"))

        result = json.dumps(work(emit), ensure_ascii=False).encode()
        _send(channel, _RESULT, result)
        status = 0
    except MemoryError:
        status = 3
    except Exception:  # a defect in kodos, not in the configuration: the parent says so
        _send(channel, _FAILURE, traceback.format_exc().encode("utf-8", "replace"))
    finally:
        os._exit(status)


@functools.cache
def _prctl() -> Any:
    return ctypes.CDLL(None, use_errno=True).prctl


def _die_with(parent: int, prctl: Any) -> None:
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # the parent died before the line above took effect
        os._exit(1)


def _keep_only(channel: int) -> int:
    """Close every inherited descriptor but the channel; stdio becomes /dev/null. Returns the
    channel's descriptor (moved above stdio when kodos ran with stdin or stdout closed)."""
    if channel <= 2:
        channel = fcntl.fcntl(channel, fcntl.F_DUPFD_CLOEXEC, 3)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        if fd != null:
            os.dup2(null, fd, inheritable=False)
    keep = sorted({0, 1, 2, channel})
    low = 3
    for fd in keep[3:]:
        os.closerange(low, fd)
        low = fd + 1
    os.closerange(low, _max_fd())
    return channel


def _max_fd() -> int:
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return soft if soft != resource.RLIM_INFINITY else 1 << 20


def _limit(wall_seconds: float, memory: int) -> None:
    cpu = int(wall_seconds) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    statm = os.open("/proc/self/statm", os.O_RDONLY | os.O_CLOEXEC)
    try:
        pages = int(os.read(statm, 256).split()[0])
    finally:
        os.close(statm)
    address_space = pages * os.sysconf("SC_PAGE_SIZE") + 2 * memory
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))


def _send(channel: int, kind: bytes, payload: bytes) -> None:
    data = memoryview(_HEADER.pack(kind, len(payload)) + payload)
    while data:
        data = data[os.write(channel, data) :]


class _Child:
    """A forked child, waited for exactly once (a pid must never be signalled once reaped:
    the number may already belong to another process)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.status: int | None = None

    def wait(self) -> int:
        if self.status is None:
            _, self.status = os.waitpid(self.pid, 0)
        return self.status

    def stop(self) -> None:
        if self.status is None:
            os.kill(self.pid, signal.SIGKILL)
            self.wait()


def _receive(channel: int, child: _Child, deadline: float, on_output: Callable[[str], None]) -> Any:
    buffer = bytearray()
    poller = select.poll()
    poller.register(channel, select.POLLIN)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not poller.poll(remaining * 1000):
            child.stop()
            raise Breach("time")
        chunk = os.read(channel, 1 << 20)
        if not chunk:
            raise _ended_without_result(child.wait())
        buffer += chunk
        while len(buffer) >= _HEADER.size:
            kind, length = _HEADER.unpack_from(buffer)
            if len(buffer) < _HEADER.size + length:
                break
            payload = bytes(buffer[_HEADER.size : _HEADER.size + length])
            del buffer[: _HEADER.size + length]
            if kind == _RESULT:
                return json.loads(payload)
            if kind == _FAILURE:
                raise ChildFailed(payload.decode("utf-8", "replace"))
            on_output(payload.decode("utf-8", "replace"))


def _ended_without_result(status: int) -> Breach:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number in (signal.SIGXCPU, signal.SIGKILL):
            return Breach("time")
        return Breach("crash", f"signal {number} ({signal.Signals(number).name})")
    if os.WEXITSTATUS(status) == 3:
        return Breach("memory")
    return Breach("crash", f"exit status {os.WEXITSTATUS(status)}")
