"""kodos with timing hooks: the benchmarks' own entry point, never part of an installed kodos.

    python -m tests.support.timed_kodos EVENTS_FILE plan --json -c CONFIG --root ROOT ...

Runs the real CLI (`kodos.cli.main`) after wrapping, from outside, the functions whose time the
benchmarks report, and appends one JSON line per event to EVENTS_FILE, each stamped with
`time.monotonic()` (system-wide on Linux, so the parent compares it with its own clock):

* `{"step": ID, "at": T}` as each step of apply or install is done: the wrapper of
  `kodos.apply.transaction.checkpoint`, which every step passes (as tests/support/faulty_kodos.py
  uses it) — the machine-readable twin of the ✓ lines;
* `{"call": LABEL, "start": T0, "end": T1}` around each step of making a plan (`PLAN_STEPS`)
  and each command kodos runs (`kodos.system.runner.run`, LABEL its argv: never a secret, those
  travel as input).

`plan_hooks` installs the same wrappers in a benchmark's own process (benchmarks/plan.py times
`make_plan` warm with it). kodos itself has no timing hook and reads no variable for one.

The modules holding the wrapped functions are imported before the CLI starts, so a step's
lazy import of them counts before `make_plan` here, not in the step; the process's whole time
is the same.
"""

from __future__ import annotations

import importlib
import json
import shlex
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

Record = Callable[[dict[str, Any]], None]

# (module, function, label): make_plan, the steps it calls in their order, then the plan
# command's printing. Each is wrapped where it is defined and wherever it was imported to (lazy imports find the
# wrapper), so the hooks follow the code wherever kodos calls it from.
PLAN_STEPS = (
    ("kodos.plan.build", "make_plan", "make_plan"),
    ("kodos.config.load", "load_config", "config load (load_config)"),
    ("kodos.desired", "build_desired", "desired (build_desired)"),
    ("kodos.plan.machine", "read_machine", "read machine (read_machine)"),
    ("kodos.pacman.syncdb", "load_sync_databases", "sync databases (.db)"),
    ("kodos.pacman.filelists", "read_unit_index", "unit index (.files, when needed)"),
    ("kodos.plan.resolve", "resolve", "resolve"),
    ("kodos.plan.resolve", "check_units", "unit checks (check_units)"),
    ("kodos.desired", "missing_groups", "group checks (missing_groups)"),
    ("kodos.plan.removals", "plan_transactions", "transactions (plan_transactions)"),
    ("kodos.plan.diff", "diff", "diff"),
    ("kodos.plan.model", "summarize", "summary (summarize)"),
    ("kodos.commands.plan", "_print", "print the plan (JSON)"),
)
TOTAL = PLAN_STEPS[0][2]


Patches = list[tuple[str, object, object]]
"""(name, wrapper, original): what to put back."""


def _wrap(module_name: str, name: str, wrapper_of: Callable[[Any], Any]) -> Patches:
    """Replace `module_name.name` and every kodos module's alias of it; [] if it is gone."""
    module = importlib.import_module(module_name)
    original = getattr(module, name, None)
    if original is None:
        return []
    wrapper = wrapper_of(original)
    _replace(name, original, wrapper)
    return [(name, wrapper, original)]


def _replace(name: str, old: object, new: object) -> None:
    """`name` in every kodos module where it is `old` becomes `new`."""
    for module in list(sys.modules.values()):
        if (
            getattr(module, "__name__", "").startswith("kodos")
            and getattr(module, name, None) is old
        ):
            setattr(module, name, new)


def _timing(label: str | Callable[..., str], record: Record) -> Callable[[Any], Any]:
    def wrapper_of(original: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.monotonic()
            try:
                return original(*args, **kwargs)
            finally:
                named = label if isinstance(label, str) else label(*args)
                record({"call": named, "start": start, "end": time.monotonic()})

        return timed

    return wrapper_of


def plan_hooks(record: Record) -> tuple[Patches, list[str]]:
    """Wrap the plan's steps: what to undo, and the `module.function`s no longer found (their
    time then counts in what make_plan spends outside its steps)."""
    patches: Patches = []
    missing: list[str] = []
    for module, name, label in PLAN_STEPS:
        done = _wrap(module, name, _timing(label, record))
        patches += done
        if not done:
            missing.append(f"{module}.{name}")
    return patches, missing


def step_hook(record: Record) -> None:
    def wrapper_of(checkpoint: Callable[..., None]) -> Callable[..., None]:
        def reached(step: Any, on_step: Any) -> None:
            checkpoint(step, on_step)
            record({"step": str(step), "at": time.monotonic()})

        return reached

    _wrap("kodos.apply.transaction", "checkpoint", wrapper_of)


def command_hook(record: Record) -> None:
    _wrap("kodos.system.runner", "run", _timing(lambda argv, *_: shlex.join(argv), record))


@contextmanager
def collected() -> Iterator[list[dict[str, Any]]]:
    """The plan hooks installed in this process for the body, recording into the list
    yielded; the functions are put back after."""
    events: list[dict[str, Any]] = []
    patches, missing = plan_hooks(events.append)
    if missing:
        print(f"timing hooks: not found (kodos changed?): {', '.join(missing)}", file=sys.stderr)
    try:
        yield events
    finally:
        for name, wrapper, original in reversed(patches):
            _replace(name, wrapper, original)


def main() -> None:
    events_file, *arguments = sys.argv[1:]
    with open(events_file, "a", encoding="utf-8") as events:

        def record(event: dict[str, Any]) -> None:
            events.write(json.dumps(event) + "\n")
            events.flush()

        plan_hooks(record)
        step_hook(record)
        command_hook(record)
        from kodos.cli import main as kodos_main

        sys.argv = ["kodos", *arguments]
        kodos_main()


if __name__ == "__main__":
    main()
