"""Reading a saved plan (`kodos plan --out FILE`) for `kodos show` and `kodos apply FILE`.

A plan of another format version is refused by its version first, before its fields are read
by today's model: a version 1 plan holds reasons in words, and listing each of them as a wrong
field would hide the one thing to say — the plan is older than this kodos; make it again.
"""

from __future__ import annotations

from pathlib import Path

from kodos.errors import Problem
from kodos.plan.model import FORMAT_VERSION, Plan
from kodos.system.jsonfile import FileFormatError, read_json, validate_document

OLDER_VERSIONS = frozenset({"1"})


def read_plan_file(path: Path) -> Plan:
    """The plan saved in `path`; `FileFormatError` names the file and the wrong field."""
    data = read_json(path)
    version = data.get("format_version") if isinstance(data, dict) else None
    if isinstance(version, str) and version in OLDER_VERSIONS:
        raise FileFormatError(
            [
                Problem(
                    f"{path}: format_version",
                    f'"{version}" is the plan format of an older kodos; this kodos reads format '
                    f'"{FORMAT_VERSION}": make the plan again with kodos plan --out',
                )
            ]
        )
    return validate_document(path, data, Plan)
