"""Reading and writing kodos's JSON files (plans, facts, generation records).

Reading validates against the file's pydantic model and reports every problem with the file
and the field (`plan.json: changes.3.action: ...`); writing is atomic (temp file, fsync,
rename), so a crash never leaves half a file behind.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from kodos.atomic import write_text_atomic
from kodos.errors import Problem, ProblemsError

Model = TypeVar("Model", bound=BaseModel)


class FileFormatError(ProblemsError):
    """A kodos JSON file is missing, unreadable or not in its format; lists every problem."""


def read_model(path: Path, model: type[Model]) -> Model:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror.lower() if isinstance(err, OSError) and err.strerror else str(err)
        raise FileFormatError([Problem(str(path), f"cannot read: {reason}")]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise FileFormatError(
            [Problem(f"{path}:{err.lineno}", f"not valid JSON: {err.msg}")]
        ) from None
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise FileFormatError([_field_problem(path, detail) for detail in err.errors()]) from None


def write_json(path: Path, data: object) -> None:
    """Write `data` as JSON atomically: readers see the old file or the new one, never half."""
    write_text_atomic(path, json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _field_problem(path: Path, detail: ErrorDetails) -> Problem:
    field = ".".join(str(part) for part in detail["loc"]) or "(top level)"
    return Problem(f"{path}: {field}", detail["msg"])
