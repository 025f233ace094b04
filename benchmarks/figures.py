"""The table every benchmark prints: one row per figure, its goal, and PASS or by how much
it is over. Shared by the scripts in this directory (run as `python benchmarks/NAME.py`, so
this module is importable by its plain name)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Unit = Literal["ms", "s", "x"]


@dataclass(frozen=True)
class Figure:
    label: str
    median: float
    fastest: float | None = None
    goal: float | None = None
    unit: Unit = "ms"


def shown(number: float, unit: Unit) -> str:
    if unit == "x":
        return f"x{number:.2f}"
    return f"{number:.3f} s" if unit == "s" else f"{number:.1f} ms"


def verdict(figure: Figure) -> str:
    if figure.goal is None:
        return ""
    if figure.median <= figure.goal:
        return "PASS"
    if figure.unit == "s":
        return f"over (+{figure.median - figure.goal:.2f} s)"
    return f"over (x{figure.median / figure.goal:.1f})"


def print_table(figures: list[Figure | None]) -> None:
    """One row per figure; None is a blank separator line."""
    width = max(len(figure.label) for figure in figures if figure)
    print(f"{'measurement':<{width}}  {'median':>10}  {'min':>10}  {'goal':>11}  result")
    for f in figures:
        if f is None:
            print()
            continue
        fastest = shown(f.fastest, f.unit) if f.fastest is not None else ""
        goal = f"<= {shown(f.goal, f.unit)}" if f.goal is not None else ""
        row = f"{f.label:<{width}}  {shown(f.median, f.unit):>10}  {fastest:>10}  {goal:>11}"
        print(f"{row}  {verdict(f)}".rstrip())


def measure(
    label: str, action: Callable[[], object], runs: int, goal: float | None = None
) -> Figure:
    """Median and min of `runs` timed calls of `action`, after one untimed warm-up call."""
    action()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        samples.append((time.perf_counter() - start) * 1000)
    return Figure(label, statistics.median(samples), min(samples), goal)
