"""One piece of work run in a thread while the caller goes on: for work that mostly waits on a
command (a download by pacman), so the caller's own work fills the wait.

The work runs in a copy of the caller's context (`contextvars`): what the caller's blocks set
up — the apply's log, the databases read once — holds there too. Start it only after the
process has entered its private mount namespace, if it ever does (`kodos.system.mountns`: the
kernel refuses a namespace to a process with threads), and fork no child that does not `exec`
meanwhile (commands through `kodos.system.runner` are fine).
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Generic, TypeVar

T = TypeVar("T")


class Pending(Generic[T]):
    """Work running in a thread; `result()` waits for it."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._returned: list[T] = []
        self._raised: list[BaseException] = []
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._run, work))
        self._thread.start()

    def _run(self, work: Callable[[], T]) -> None:
        try:
            self._returned.append(work())
        except BaseException as err:  # handed to the caller by result()
            self._raised.append(err)

    def wait(self) -> None:
        self._thread.join()

    def result(self) -> T:
        """What the work returned, once it has; what it raised is raised here."""
        self.wait()
        if self._raised:
            raise self._raised[0]
        return self._returned[0]


@contextmanager
def meanwhile(work: Callable[[], T]) -> Iterator[Pending[T]]:
    """`work` runs in a thread during the block; the block takes its result with
    `result()`. Leaving the block always waits for it: when the block raises, its error is
    the one raised, and what the work returned or raised is dropped (as if it came second)."""
    pending = Pending(work)
    try:
        yield pending
    finally:
        pending.wait()
