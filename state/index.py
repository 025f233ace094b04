"""The index of a machine's generations: `<top>/kodos/index.json` on the Btrfs top level.

It lives outside every generation, so it survives rollbacks and lists generations that are not
booted; it is what `kodos generations list` shows. Each generation's own record (inside its
root, `kodos.state.generation`) stays the authority on what the generation manages; the index
copies the few facts a listing needs so that listing opens no generation.

Which generation boots by default is *not* in the index: that is loader.conf's `default` and
the Btrfs default subvolume (`kodos.generations.history`), so a rollback never rewrites this file.

The index is immutable: `with_entry` and `without` return a new one, and `write_index` writes it
atomically (temp file, fsync, rename).

Format "2" adds what lets the index be trusted less and rebuilt (`kodos generations repair`):

* `highest_id`, the highest generation number ever used on the machine, so numbers are never
  reused once generations are deleted. It is also kept beside the index
  (`kodos/highest-generation`, written before the index) and in every generation's record,
  where a repair finds it when the index is gone.
* `building` entries: the applier lists a generation as building *before* it snapshots it, so
  the only thing a later run may remove as an interrupted build is one the index proves it
  started (`kodos.generations.lifecycle.clean_interrupted`).
* generation 0's `subvolume_uuid`, the Btrfs UUID of the subvolume adopted: deleting
  generation 0 checks it, so an edited `subvolume` never makes kodos delete another one.

An index in format "1" is read as it is and written in format "2" the first time it changes.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kodos.errors import KodosError
from kodos.state.generation import GenerationRecord, Status, read_state_file
from kodos.system.atomic import write_text_atomic
from kodos.system.jsonfile import write_json

INDEX_PATH = Path("kodos/index.json")
"""Relative to the top level (subvolid 5) of the machine's Btrfs filesystem."""

HIGHEST_PATH = Path("kodos/highest-generation")
"""Beside the index: the highest generation number ever used, as decimal digits."""

FORMAT_VERSION: Literal["2"] = "2"

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

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

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
    subvolume_uuid: str | None = Field(
        default=None,
        description="Generation 0 only: the Btrfs UUID of the subvolume adopted, recorded at "
        "adoption. `generations delete 0` deletes that subvolume and no other.",
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

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    format_version: Literal["1", "2"] = FORMAT_VERSION
    filesystem_uuid: str = Field(min_length=1, description="The Btrfs filesystem it describes.")
    generations: list[GenerationEntry] = Field(default_factory=list)
    highest_id: int | None = Field(
        default=None,
        ge=0,
        description="The highest generation number ever used here (None: none yet; absent "
        "from format 1). A new generation is numbered above it.",
    )

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

    def highest(self) -> int | None:
        """The highest generation number this index knows was used (None: none)."""
        known = [*self.ids(), *([] if self.highest_id is None else [self.highest_id])]
        return max(known, default=None)

    def next_id(self) -> int:
        """The id for a new generation: one past the highest ever used (0 for an empty index),
        never one a deleted generation had."""
        highest = self.highest()
        return 0 if highest is None else highest + 1

    def with_highest(self, gen_id: int) -> Index:
        """A copy that remembers `gen_id` as used."""
        highest = max(gen_id, self.highest() or 0)
        return self.model_copy(update={"highest_id": highest})

    def with_entry(self, generation: GenerationEntry) -> Index:
        """A copy with `generation` added, or replacing the entry with its id."""
        kept = [g for g in self.generations if g.id != generation.id]
        ordered = sorted([*kept, generation], key=lambda g: g.id)
        return self.model_copy(update={"generations": ordered})

    def without(self, gen_id: int) -> Index:
        """A copy without `gen_id`, still remembering the highest number used (`gen_id`'s is
        never given again); `UnknownGeneration` when it is not listed."""
        self.entry(gen_id)
        kept = [g for g in self.generations if g.id != gen_id]
        return self.model_copy(update={"generations": kept, "highest_id": self.highest()})


def read_index(top: Path, shown: str | None = None) -> Index | None:
    """The index on the top level mounted at `top`, or None when there is no index file.
    A damaged index is a `FileFormatError` naming the file and the field; the file is named
    as `shown/kodos/index.json` (`shown`: how the user knows the top level, rather than where
    kodos mounted it)."""
    path = top / INDEX_PATH
    if not path.exists() and not path.is_symlink():
        return None
    return read_state_file(path, Index, shown=f"{shown}/{INDEX_PATH}" if shown else None)


def write_index(top: Path, index: Index) -> None:
    """Write the index atomically (readers see the old one or the new one, never half), in
    the current format, remembering its highest generation number beside it first."""
    current = index.model_copy(
        update={"format_version": FORMAT_VERSION, "highest_id": index.highest()}
    )
    path = top / INDEX_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    if current.highest_id is not None:
        remember_highest(top, current.highest_id)
    write_json(path, current.model_dump(mode="json"))


def remember_highest(top: Path, gen_id: int) -> None:
    """Keep `gen_id` beside the index as the highest number used, unless a higher one is."""
    known = read_highest(top)
    if known is not None and known >= gen_id:
        return
    (top / HIGHEST_PATH).parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(top / HIGHEST_PATH, f"{gen_id}\n")


def read_highest(top: Path) -> int | None:
    """The highest generation number kept beside the index; None when absent or unreadable
    (it is a hint for numbering, never a reason to refuse)."""
    try:
        text = (top / HIGHEST_PATH).read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and len(text) < 10 else None
