"""The generation record: what a generation is and what kodos manages in it.

Each generation's root carries its record at `var/lib/kodos/generation.json`. Planning reads it
for ownership (only what a record lists as managed may be deleted) and for the plan's base.
`kodos apply` writes it (atomically); until a machine's first apply there is none, and a plan
then deletes nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kodos.jsonfile import read_model

RECORD_PATH = Path("var/lib/kodos/generation.json")


class Status(StrEnum):
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


class GenerationRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: Literal["1"] = "1"
    id: int = Field(ge=0)
    parent: int | None = None
    created: datetime
    status: Status
    config_digest: str
    managed: list[str] = Field(description="Addresses of the resources kodos manages here.")
    packages: dict[str, str] = Field(default_factory=dict, description="Name → version.")
    kernel: str | None = None
    desired: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="The resolved desired state by address; secrets read (sensitive).",
    )


def read_record(root: Path) -> GenerationRecord | None:
    """The record of the generation at `root`, or None when kodos has not managed it yet.
    A record that exists but is damaged is an error naming the file and field."""
    path = root / RECORD_PATH
    if not path.exists():
        return None
    return read_model(path, GenerationRecord)
