"""Work done in a forked child, so that its namespaces and mounts end with it.

The kodos process itself never enters the environment's namespaces: it forks a child for the
build and one for the session, waits, and stays on the host to rename a finished build, release
locks and report. When the child ends — exits, is killed, or its command ends — the kernel
tears its mounts down with it; and when kodos itself is killed, the kernel kills the child
(`PR_SET_PDEATHSIG`), so no pacman or shell of the environment goes on without it. An error
in the child comes back as `ShellFailure` with the child's message and exit status (127 for
a command not found, as a shell says).
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Callable

from kodos.errors import KodosError

# Python ignores SIGPIPE (and SIGXFSZ); a program started from it must get the defaults back,
# and the shell must get SIGINT and SIGQUIT, which kodos ignores while it waits.
_RESTORED = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGQUIT)
_WAITING_IGNORES = (signal.SIGINT, signal.SIGQUIT)
PR_SET_PDEATHSIG = 1
INTERRUPTED_EXIT_CODE = 130  # 128 + SIGINT, as a shell reports it


class ShellFailure(KodosError):
    """The child failed before (or instead of) running the command."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def in_child(work: Callable[[], int]) -> int:
    """Run `work` in a forked child and return the child's exit status (128+N for signal
    N); `work` returns an exit status, or never returns when it execs a program. A
    `KodosError` raised in the child is raised here as `ShellFailure`."""
    sys.stdout.flush()  # what kodos printed must not be printed again by the child
    sys.stderr.flush()
    read, write = os.pipe()  # both close-on-exec: an exec'd command sees neither
    parent = os.getpid()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's code is measured by its effects
        os.close(read)
        _die_with(parent)
        _child(work, write)
    os.close(write)
    previous = {number: signal.signal(number, signal.SIG_IGN) for number in _WAITING_IGNORES}
    try:
        with os.fdopen(read, "rb") as pipe:
            report = pipe.read()  # ends when the child exits or execs
        _, status = os.waitpid(pid, 0)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    code = os.waitstatus_to_exitcode(status)
    if report:
        exit_code, _, message = report.decode(errors="replace").partition("\n")
        raise ShellFailure(message, int(exit_code))
    return code if code >= 0 else 128 - code


def restore_signals() -> None:
    """Give a program about to be exec'd the signal dispositions a shell would."""
    for number in _RESTORED:
        signal.signal(number, signal.SIG_DFL)


def _die_with(parent: int) -> None:  # pragma: no cover
    """A killed kodos takes its child (pacman, the shell) along: nothing of the environment
    outlives it. The setting survives the exec of the command."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # kodos died before the setting took
        os._exit(1)


def _child(work: Callable[[], int], write: int) -> None:  # pragma: no cover
    code = 1
    try:
        code = work()
    except ShellFailure as err:
        code = _report(write, err.exit_code, str(err))
    except KodosError as err:
        code = _report(write, 1, str(err))
    except KeyboardInterrupt:  # Ctrl-C while pacman runs: the build stops, kodos cleans up
        code = _report(write, INTERRUPTED_EXIT_CODE, "interrupted")
    except BaseException as err:  # the child must never return into kodos's own code
        code = _report(write, 1, f"internal error: {type(err).__name__}: {err}")
    finally:
        os._exit(code)


def _report(write: int, exit_code: int, message: str) -> int:
    os.write(write, f"{exit_code}\n{message}".encode())
    return exit_code
