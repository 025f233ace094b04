"""Reading and writing kodos's JSON files (plans, facts, generation records, the index).

Every JSON document kodos reads goes through `read_model`, because any of them may be
hand-made or damaged: a facts file or a saved plan comes from a user, a record or the index
from a disk. Reading refuses, with the file and where in it, before anything else looks at
the data:

* what is not a regular file (a FIFO would block, `/dev/zero` never ends) or is larger than
  `MAX_DOCUMENT_BYTES` — checked before reading;
* what is not UTF-8 JSON (`file:line`), or nests deeper than `MAX_DEPTH` — measured on the
  text before `json.loads`, whose recursion would otherwise fail on 100,000 brackets;
* numbers longer than `MAX_NUMBER_DIGITS` (Python's own limit, 4,300 digits, would raise a
  bare ValueError) and `NaN`/`Infinity`, which are not JSON;
* what does not fit the file's pydantic model: every problem with its field
  (`plan.json: changes.3.action: ...`), the first `MAX_PROBLEMS` of them.

Writing is atomic (temp file, fsync, rename), so a crash never leaves half a file behind.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from kodos.errors import Problem, ProblemsError
from kodos.system.atomic import write_text_atomic
from kodos.text.lazyregex import lazy

Model = TypeVar("Model", bound=BaseModel)

MAX_DOCUMENT_BYTES = 64 * 1024 * 1024
"""Larger than any facts file of a real machine (a few MiB with every package)."""
MAX_DEPTH = 64
"""Nesting levels of arrays and objects; kodos's own documents use fewer than ten."""
MAX_NUMBER_DIGITS = 40
"""Digits of an integer; kodos stores uids, sizes and counts, nothing near this."""
MAX_PROBLEMS = 20
"""Problems listed for one document; the rest are counted."""
_MAX_FIELD_CHARS = 80

_ESCAPE = lazy(r"\\.", re.DOTALL)
_STRING = lazy(r'"[^"]*"')
_NOT_BRACKET = lazy(r"[^\[\]{}]+")
_INNERMOST = lazy(r"\[\]|\{\}")


class FileFormatError(ProblemsError):
    """A kodos JSON file is missing, unreadable or not in its format; lists every problem."""


class _NotJson(ValueError):
    """A value `json.loads` accepts that kodos does not (a huge number, NaN)."""


def read_model(path: Path, model: type[Model]) -> Model:
    """`path`'s document validated as `model`; `FileFormatError` says what is wrong, where."""
    return validate_document(path, read_json(path), model)


def validate_document(path: Path, data: object, model: type[Model]) -> Model:
    """`data`, read from `path`, validated as `model`; problems name `path` and the field."""
    try:
        return model.model_validate(data)
    except ValidationError as err:
        raise FileFormatError(_field_problems(path, err.errors())) from None


def read_json(path: Path) -> object:
    """The JSON value in `path`, bounded in size, depth and number length (module docstring)."""
    text = _read_text(path)
    depth = nesting_depth(text, MAX_DEPTH)
    if depth > MAX_DEPTH:
        raise _problem(path, f"nested deeper than {MAX_DEPTH} levels; refusing it")
    try:
        return json.loads(text, parse_int=_integer, parse_constant=_constant)
    except json.JSONDecodeError as err:
        raise _problem(f"{path}:{err.lineno}", f"not valid JSON: {err.msg}") from None
    except _NotJson as err:
        raise _problem(path, str(err)) from None


def nesting_depth(text: str, limit: int) -> int:
    """How deeply `text`'s arrays and objects nest (strings ignored), counted up to `limit`+1.

    Regular expressions (C speed, no recursion) strip escapes, then strings, then everything
    but brackets; each pass then removes the innermost `[]`/`{}` pairs. Unbalanced text stops
    early and is left for the parser to report with its line.
    """
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", _ESCAPE.sub("", text)))
    depth = 0
    while brackets and depth <= limit:
        brackets, removed = _INNERMOST.subn("", brackets)
        if not removed:
            break
        depth += 1
    return depth


def write_json(path: Path, data: object) -> None:
    """Write `data` as JSON atomically: readers see the old file or the new one, never half."""
    write_text_atomic(path, json_text(data))


def json_text(data: object) -> str:
    """`data` as kodos writes every JSON file: indented, UTF-8 as it is, a final newline."""
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _read_text(path: Path) -> str:
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below.
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as err:
        raise _problem(path, f"cannot read: {_reason(err)}") from None
    info = os.fstat(descriptor)
    if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_DOCUMENT_BYTES:
        os.close(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise _problem(path, "cannot read: not a regular file")
        raise _problem(path, f"cannot read: larger than {_mib(MAX_DOCUMENT_BYTES)}")
    with os.fdopen(descriptor, "rb") as stream:
        try:
            data = stream.read(MAX_DOCUMENT_BYTES + 1)  # it may have grown since fstat
        except OSError as err:
            raise _problem(path, f"cannot read: {_reason(err)}") from None
    if len(data) > MAX_DOCUMENT_BYTES:
        raise _problem(path, f"cannot read: larger than {_mib(MAX_DOCUMENT_BYTES)}")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _problem(path, f"cannot read: not UTF-8 (byte {err.start})") from None


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_NUMBER_DIGITS:
        raise _NotJson(
            f"a number of {len(digits.lstrip('-'))} digits (at most {MAX_NUMBER_DIGITS}); "
            "refusing it"
        )
    return int(digits)


def _constant(name: str) -> object:
    raise _NotJson(f"{name} is not a JSON number; refusing it")


def _field_problems(path: Path, details: list[ErrorDetails]) -> list[Problem]:
    problems = [_field_problem(path, detail) for detail in details[:MAX_PROBLEMS]]
    if len(details) > MAX_PROBLEMS:
        problems.append(Problem(str(path), f"and {len(details) - MAX_PROBLEMS} more problems"))
    return problems


def _field_problem(path: Path, detail: ErrorDetails) -> Problem:
    field = ".".join(str(part) for part in detail["loc"]) or "(top level)"
    if len(field) > _MAX_FIELD_CHARS:
        field = f"{field[:_MAX_FIELD_CHARS]}… ({len(field)} characters)"
    return Problem(f"{path}: {field}", detail["msg"])


def _problem(location: Path | str, message: str) -> FileFormatError:
    return FileFormatError([Problem(str(location), message)])


def _reason(err: OSError) -> str:
    return err.strerror.lower() if err.strerror else str(err)


def _mib(size: int) -> str:
    return f"{size // (1024 * 1024)} MiB"
