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
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from kodos.errors import Problem
from kodos.system.jsonfile import FileFormatError, read_model

RECORD_PATH = Path("var/lib/kodos/generation.json")

Model = TypeVar("Model", bound=BaseModel)


class Status(StrEnum):
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


class Upgrade(BaseModel):
    """How a generation built with `--upgrade` upgraded: against which sync databases."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    databases: dict[str, datetime] = Field(
        description="Repository → the date of the sync database it was upgraded against "
        "(the modification time the mirror gave it)."
    )
    sync_digest: str = Field(description="The plan's digest of what those databases offer.")


class AurLock(BaseModel):
    """One AUR package base as this generation built it: what a plain plan keeps it at."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    commit: str = Field(pattern=r"^[0-9a-f]{40}$", description="The git commit it was built at.")
    version: str = Field(description="Its `[epoch:]pkgver-pkgrel` at that commit (.SRCINFO).")
    packages: dict[str, str] = Field(
        description="Each package the generation installs from it → the sha256 of the built "
        "package file."
    )


class GenerationRecord(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

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
        description='The resolved desired state by address; a secret as {"sealed": the '
        'sha256 of the value the generation holds} (older records: "(sensitive)"), so a '
        "later plan tells drift from a configuration change without the record holding it.",
    )
    highest_id: int | None = Field(
        default=None,
        ge=0,
        description="The highest generation number used on the machine when this one was "
        "built (its own id, or above after deletions): `generations repair` numbers on "
        "from the highest any record, the index or the file beside it knows.",
    )
    configuration: dict[str, Any] | None = Field(
        default=None,
        description="The evaluated, validated configuration that built it, as JSON: the keys "
        'it set (defaults left out), every secret replaced by "(sensitive)". None in records '
        "written before kodos kept it.",
    )
    log: str | None = Field(
        default=None,
        description="Where the apply's log is kept: a path relative to the Btrfs top level "
        "(kodos/logs/…), or an absolute path on the machine's root when it is on a shared "
        "/var/log (/var/log/kodos/…); None when no log was kept.",
    )
    upgrade: Upgrade | None = Field(
        default=None, description="Set when the generation was built with --upgrade."
    )
    aur: dict[str, AurLock] = Field(
        default_factory=dict,
        description="AUR package base → its lock: the commit, version and package digests "
        "the generation was built with (empty in records written before kodos built AUR "
        "packages, and on machines without any).",
    )


def read_record(root: Path, shown: str | None = None) -> GenerationRecord | None:
    """The record of the generation at `root`, or None when kodos has not managed it yet.
    A record that exists but is damaged is an error naming the file (as `shown/RECORD_PATH`
    when the root is known to the user by another name) and field."""
    from kodos.system.rootfs import checked_in_root

    # resolved inside the generation: a link at the record must not read a host file
    path = Path(checked_in_root(root, str(RECORD_PATH)))
    if not path.exists():
        return None
    named = f"{shown}/{RECORD_PATH}" if shown else None
    return read_state_file(path, GenerationRecord, shown=named)


def read_state_file(path: Path, model: type[Model], *, shown: str | None = None) -> Model:
    """`read_model`, naming the file `shown` in its problems instead of `path` (a path under a
    temporary mount of the Btrfs top level means nothing to the user)."""
    try:
        return read_model(path, model)
    except FileFormatError as err:
        if shown is None:
            raise
        problems = [
            Problem(p.location.replace(str(path), shown, 1), p.message, p.hint)
            for p in err.problems
        ]
        raise FileFormatError(problems) from None
