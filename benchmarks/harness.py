"""What every benchmark here shares: timing (warm-up, repeated runs, whole processes, a
baseline interleaved with what it is the baseline of), figures (median, min, goal) and the
tables they are printed in.

The scripts run as `python benchmarks/NAME.py`, so this directory is on sys.path and this
module is imported by its plain name; it puts the repository on sys.path for `tests.support`
(the generators of machines and configurations) too. Every time is in seconds; a figure's
unit says only how it is shown. Benchmarks inform, they don't gate: a script exits 0 once it
has measured, whatever the figures, and 1 when it cannot measure (`CannotMeasure`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from subprocess import CalledProcessError
from typing import Any, Literal, TypeVar

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))  # for tests.support

T = TypeVar("T")
Unit = Literal["ms", "s", "x"]
Timer = Callable[[], float]
"""Does one run and returns the seconds it counts (set-up it does first is not counted)."""


class CannotMeasure(Exception):
    """The benchmark cannot go on: a tool is missing, a command it times failed..."""


# ---- timing --------------------------------------------------------------------------------


def timed(action: Callable[[], object]) -> Timer:
    """A timer of the whole call of `action`."""

    def timer() -> float:
        start = time.perf_counter()
        action()
        return time.perf_counter() - start

    return timer


def run_process(argv: Sequence[str], *, expect: int = 0, stderr: bool = False) -> str:
    """Run one command, its output captured: its stdout (`stderr`: its stderr), or
    CannotMeasure if it exits other than `expect`."""
    done = subprocess.run(argv, capture_output=True, text=True, cwd=REPOSITORY)
    if done.returncode != expect:
        output = (done.stderr or done.stdout)[-3000:]
        raise CannotMeasure(f"{' '.join(argv)} exited {done.returncode}:\n{output}")
    return done.stderr if stderr else done.stdout


def process(*argvs: Sequence[str], expect: int = 0) -> Timer:
    """A timer of whole processes: the commands run one after the other, each to exit `expect`."""
    return timed(lambda: [run_process(argv, expect=expect) for argv in argvs])


def repeated(action: Callable[[], T], runs: int) -> list[T]:
    """What `runs` calls of `action` return (it times itself), after an untimed warm-up call."""
    action()
    return [action() for _ in range(runs)]


def rounds(
    timers: Mapping[str, Timer],
    runs: int,
    *,
    warm_up: bool = True,
    each_round: Callable[[int], None] | None = None,
) -> dict[str, list[float]]:
    """Each timer once per round, `runs` rounds (after an untimed warm-up round), the order
    reversed every other round: a subject and its baseline measured in the same run, side by
    side, so a busy machine or a warm cache favours neither. `each_round(n)` after each."""
    samples: dict[str, list[float]] = {label: [] for label in timers}
    for number in range(-1 if warm_up else 0, runs):
        order = list(timers.items())
        for label, timer in order if number % 2 == 0 else reversed(order):
            elapsed = timer()
            if number >= 0:
                samples[label].append(elapsed)
        if number >= 0 and each_round is not None:
            each_round(number)
    return samples


def settle() -> float:
    """Write back everything dirty, so the next timed run pays for no other's writeback;
    returns how long that took."""
    start = time.perf_counter()
    os.sync()
    return time.perf_counter() - start


def settled(timer: Timer) -> Timer:
    """`timer` after an untimed `settle`."""
    return lambda: (settle(), timer())[1]


def kodos_command(*python_options: str) -> list[str]:
    """`kodos` as a user runs it: the console script (with `python_options`: through this
    interpreter), else `python -m kodos`."""
    script = Path(sys.executable).parent / "kodos"
    if not script.exists():
        return [sys.executable, *python_options, "-m", "kodos"]
    return [sys.executable, *python_options, str(script)] if python_options else [str(script)]


def compiled_kodos_env(directory: Path) -> dict[str, str]:
    """The environment for kodos processes that start as an installed kodos does, its modules
    already compiled (pip compiles them at install): this checkout's sources are compiled once
    into `directory` (`PYTHONPYCACHEPREFIX`), where the processes read them. Without it, where
    PYTHONDONTWRITEBYTECODE is set (these machines set it), every kodos process compiles its
    ~120 modules from source again: about 0.1 s that no installed kodos pays."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(directory)
    sources = [str(REPOSITORY / name) for name in ("kodos", "providers", "state")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", *sources], env=env, check=True)
    return env


@dataclass(frozen=True)
class TimedKodos:
    """One kodos process run through its timing hooks: its start and end on the clock of
    `time.monotonic()`, the events it recorded in order, its stdout."""

    start: float
    end: float
    events: list[dict[str, Any]]
    stdout: str


def timed_kodos(arguments: Sequence[str]) -> TimedKodos:
    """Run `kodos ARGUMENTS` through the timing hooks (tests/support/timed_kodos.py)."""
    with tempfile.NamedTemporaryFile("r", prefix="kodos-bench-events-") as events:
        argv = [sys.executable, "-m", "tests.support.timed_kodos", events.name, *arguments]
        start = time.monotonic()
        stdout = run_process(argv)
        end = time.monotonic()
        lines = events.read().splitlines()
    return TimedKodos(start, end, [json.loads(line) for line in lines], stdout)


def require(*tools: str) -> None:
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing:
        raise CannotMeasure(f"these tools are not installed: {', '.join(missing)}")


# ---- figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str
    median: float
    fastest: float | None = None
    goal: float | None = None
    unit: Unit = "ms"


def figure(
    label: str, samples: Sequence[float], goal: float | None = None, *, unit: Unit = "ms",
    minus: float = 0.0,
) -> Figure:  # fmt: skip
    """Median and min of `samples`, less `minus` (a baseline's median)."""
    return Figure(label, statistics.median(samples) - minus, min(samples) - minus, goal, unit)


def ratio(label: str, over: Figure, under: Figure, goal: float | None = None) -> Figure:
    return Figure(label, over.median / under.median, None, goal, "x")


def difference(label: str, over: Figure, under: Figure, goal: float | None = None) -> Figure:
    return Figure(label, over.median - under.median, None, goal, over.unit)


def measure(
    label: str, action: Callable[[], object], runs: int, goal: float | None = None
) -> Figure:
    """In this process: `runs` timed calls of `action` after an untimed one."""
    return figure(label, rounds({label: timed(action)}, runs)[label], goal)


# ---- tables --------------------------------------------------------------------------------


def shown(seconds: float, unit: Unit) -> str:
    if unit == "x":
        return f"x{seconds:.2f}"
    return f"{seconds:.3f} s" if unit == "s" else f"{seconds * 1000:.1f} ms"


def verdict(figure: Figure) -> str:
    if figure.goal is None:
        return ""
    if figure.median <= figure.goal:
        return "PASS"
    if figure.unit == "s":
        return f"over (+{figure.median - figure.goal:.2f} s)"
    return f"over (x{figure.median / figure.goal:.1f})"


def print_table(figures: Sequence[Figure | None]) -> None:
    """The figures table: name, median, min, goal, PASS/over; None is a blank line."""
    width = max(len("measurement"), *(len(figure.label) for figure in figures if figure))
    print(f"{'measurement':<{width}}  {'median':>10}  {'min':>10}  {'goal':>11}  result")
    for f in figures:
        if f is None:
            print()
            continue
        fastest = shown(f.fastest, f.unit) if f.fastest is not None else ""
        goal = f"<= {shown(f.goal, f.unit)}" if f.goal is not None else ""
        row = f"{f.label:<{width}}  {shown(f.median, f.unit):>10}  {fastest:>10}  {goal:>11}"
        print(f"{row}  {verdict(f)}".rstrip())
    sys.stdout.flush()


def print_columns(
    title: str, columns: Sequence[str], rows: Sequence[tuple[str, Sequence[float | None]]]
) -> None:
    """A breakdown: one row per part, one column per case, in ms (None: an empty cell)."""
    width = max(len(title), *(len(label) for label, _ in rows)) + 2
    cell = max(9, *(len(column) + 2 for column in columns))
    print(f"\n{title:<{width}}" + "".join(f"{column:>{cell}}" for column in columns))
    for label, values in rows:
        cells = "".join(
            f"{value * 1000:>{cell}.1f}" if value is not None else " " * cell for value in values
        )
        print(f"{label:<{width}}{cells}".rstrip())
    sys.stdout.flush()


# ---- running a script ----------------------------------------------------------------------


@contextmanager
def work_directory(name: str, keep: bool = False) -> Iterator[Path]:
    """A temporary directory, deleted after unless `keep` (then said on stderr), with the
    sync caches kodos made in root's cache for mirrors inside it."""
    from tests.support.mirror import remove_sync_caches_serving

    directory = Path(tempfile.mkdtemp(prefix=f"kodos-bench-{name}-"))
    try:
        yield directory
    finally:
        if keep:
            print(f"files kept in {directory}", file=sys.stderr)
        else:
            remove_sync_caches_serving(directory)
            remove(directory)


def remove(directory: Path) -> None:
    """Delete `directory`, unless something is still mounted below it (then say so)."""
    with open("/proc/self/mounts", encoding="utf-8") as mounts:
        points = [line.split()[1].replace("\\040", " ") for line in mounts]
    left = [point for point in points if Path(point).is_relative_to(directory)]
    if left:
        print(f"not deleting {directory}: still mounted there: {left}", file=sys.stderr)
    else:
        shutil.rmtree(directory, ignore_errors=True)


def main(benchmark: Callable[[], None], *errors: type[Exception]) -> int:
    """Run `benchmark`: 0 once it has measured; 1 (and why) when it could not."""
    from kodos.errors import KodosError

    caught: tuple[type[Exception], ...] = (CannotMeasure, KodosError, CalledProcessError, *errors)
    try:
        benchmark()
    except caught as err:
        print(f"could not measure: {err}", file=sys.stderr)
        return 1
    return 0


def python_version() -> str:
    return f"python {sys.version.split()[0]} at {sys.executable}"


def exit_on_signals() -> None:
    """SIGTERM, SIGHUP and SIGINT become `SystemExit(128 + signal)` in the main thread, so a
    benchmark killed while its machines are up still runs its `finally` blocks and context
    managers (unmounts, loop devices detached, files removed). Once one has arrived the others
    are ignored: the teardown it started is not cut short by a second one (SIGKILL still
    works)."""

    def stop(number: int, _frame: object) -> None:
        for other in STOPPING_SIGNALS:
            signal.signal(other, signal.SIG_IGN)
        print(f"\n{signal.Signals(number).name}: cleaning up", file=sys.stderr)
        raise SystemExit(128 + number)

    for number in STOPPING_SIGNALS:
        signal.signal(number, stop)


STOPPING_SIGNALS = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)


def stop_process(process: subprocess.Popen[Any], grace: float = 60.0) -> None:
    """End a child the benchmark started as Ctrl-C would (SIGINT, so it runs its own clean-up),
    killing it if it has not exited within `grace` seconds."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
