"""The index of a machine's generations: `<top>/kodos/index.json` on the Btrfs top level.

It lives outside every generation, so it survives rollbacks and lists generations that are not
booted; it is what `kodos generations list` shows. Each generation's own record (inside its
root, `kodos.state.generation`) stays the authority on what the generation manages; the index
copies the few facts a listing needs so that listing opens no generation.

Which generation boots by default is *not* in the index: that is loader.conf's `default` and
the Btrfs default subvolume (`kodos.generations`), so a rollback never rewrites this file.

The index is immutable: `with_entry` and `without` return a new one, and `write_index` writes it
atomically (temp file, fsync, rename).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kodos.errors import KodosError
from kodos.jsonfile import read_model, write_json
from kodos.state.generation import GenerationRecord, Status

INDEX_PATH = Path("kodos/index.json")
"""Relative to the top level (subvolid 5) of the machine's Btrfs filesystem."""

GENERATIONS_DIR = "kodos/generations"
"""Where generation N's subvolume lives, relative to the top level (N ≥ 1)."""


def generation_subvolume(gen_id: int) -> str:
    """The subvolume path kodos gives generation `gen_id` (≥ 1; 0 is the adopted root)."""
    return f"{GENERATIONS_DIR}/{gen_id}"


class UnknownGeneration(KodosError):
    """A generation id the index does not list."""

    def __init__(self, gen_id: int, known: list[int]) -> None:
        self.gen_id = gen_id
        listed = ", ".join(map(str, known)) if known else "none"
        super().__init__(f"there is no generation {gen_id} (generations: {listed})")


class GenerationEntry(BaseModel):
    """One generation as the index lists it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int = Field(ge=0)
    parent: int | None = Field(
        default=None, ge=0, description="The generation it was built from; None for 0."
    )
    created: datetime
    status: Status
    subvolume: str = Field(
        min_length=1,
        pattern=r"^[^/]",
        description='Relative to the top level: "kodos/generations/N", or the adopted root '
        'such as "@" for generation 0.',
    )
    kernel: str | None = Field(default=None, description="As the generation's record says.")
    packages: int = Field(ge=0, description="How many packages are installed in it.")
    config_digest: str | None = Field(
        default=None, description="None for the adopted root (no configuration built it)."
    )


def entry_of_record(record: GenerationRecord, subvolume: str) -> GenerationEntry:
    """The index entry of a generation whose record is `record` and root is `subvolume`."""
    return GenerationEntry(
        id=record.id,
        parent=record.parent,
        created=record.created,
        status=record.status,
        subvolume=subvolume,
        kernel=record.kernel,
        packages=len(record.packages),
        config_digest=record.config_digest,
    )


class Index(BaseModel):
    """Every generation of one machine, by increasing id."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: Literal["1"] = "1"
    filesystem_uuid: str = Field(min_length=1, description="The Btrfs filesystem it describes.")
    generations: list[GenerationEntry] = Field(default_factory=list)

    @field_validator("generations")
    @classmethod
    def _ids_unique_and_increasing(cls, value: list[GenerationEntry]) -> list[GenerationEntry]:
        ids = [generation.id for generation in value]
        if ids != sorted(set(ids)):
            raise ValueError(f"generation ids must be unique and increasing, got {ids}")
        return value

    def ids(self) -> list[int]:
        return [generation.id for generation in self.generations]

    def find(self, gen_id: int) -> GenerationEntry | None:
        return next((g for g in self.generations if g.id == gen_id), None)

    def entry(self, gen_id: int) -> GenerationEntry:
        """The entry of `gen_id`; `UnknownGeneration` when the index does not list it."""
        found = self.find(gen_id)
        if found is None:
            raise UnknownGeneration(gen_id, self.ids())
        return found

    def by_subvolume(self, subvolume: str) -> GenerationEntry | None:
        """The generation whose root is `subvolume` (leading and trailing slashes ignored)."""
        wanted = subvolume.strip("/")
        return next((g for g in self.generations if g.subvolume == wanted), None)

    def next_id(self) -> int:
        """The id for a new generation: one past the highest listed (0 for an empty index)."""
        return max(self.ids(), default=-1) + 1

    def with_entry(self, generation: GenerationEntry) -> Index:
        """A copy with `generation` added, or replacing the entry with its id."""
        kept = [g for g in self.generations if g.id != generation.id]
        ordered = sorted([*kept, generation], key=lambda g: g.id)
        return self.model_copy(update={"generations": ordered})

    def without(self, gen_id: int) -> Index:
        """A copy without `gen_id`; `UnknownGeneration` when it is not listed."""
        self.entry(gen_id)
        kept = [g for g in self.generations if g.id != gen_id]
        return self.model_copy(update={"generations": kept})


def read_index(top: Path) -> Index | None:
    """The index on the top level mounted at `top`, or None before kodos's first apply.
    A damaged index is a `FileFormatError` naming the file and the field."""
    path = top / INDEX_PATH
    if not path.exists():
        return None
    return read_model(path, Index)


def write_index(top: Path, index: Index) -> None:
    """Write the index atomically (readers see the old one or the new one, never half)."""
    path = top / INDEX_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json(path, index.model_dump(mode="json"))
