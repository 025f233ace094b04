"""Small helpers for tests that evaluate Lua source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kodos.lua.evaluator import Limits, evaluate_file


def write_config(directory: Path, source: str, name: str = "configuration.lua") -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    return path


def evaluate(directory: Path, source: str, limits: Limits | None = None) -> Any:
    path = write_config(directory, source)
    return evaluate_file(path, "configuration.lua", limits)
