"""A home generation's manifest: everything the generation places in the home, and how.

Written atomically as `manifest.json` in the generation's directory, the last thing a new
generation gets (a directory without one is an unfinished generation and is never activated);
read back through `read_model`, so a damaged or hand-edited manifest is refused with its file
and field before anything acts on it. Paths are checked again when read: a manifest that names
`../x` or `/etc/x` is refused like any other malformed one.

Ownership follows the manifest: kodos removes or replaces only what the active generation's
manifest lists and only while it is as the manifest says (same sha256, same link target) —
anything else in the home is the user's.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kodos.home.homefs import check_relative
from kodos.system.jsonfile import read_model, write_json

MANIFEST_NAME = "manifest.json"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(_Record):
    """One file or link the generation places in the home."""

    path: str = Field(description="Relative to the home, e.g. .config/git/config.")
    kind: Literal["file", "link"]
    address: str = Field(description="The plan's address: home.file[~/…], home.unit[NAME]…")
    source: str = Field(description="The configuration path that asked for it.")
    sha256: str | None = Field(None, description="A file's content digest.")
    mode: int | None = Field(None, ge=0, le=0o7777, description="A file's permission bits.")
    target: str | None = Field(
        None, description='A link\'s target as written: an absolute path, or "@gen/<rel>".'
    )

    @field_validator("path")
    @classmethod
    def _inside_the_home(cls, path: str) -> str:
        problem = check_relative(path)
        if problem:
            raise ValueError(problem)
        return path


class Tree(_Record):
    """A dotfile repository's commit exported into the generation's `tree/<name>/`."""

    name: str
    commit: str
    source: str


class Unit(_Record):
    name: str
    wanted_by: list[str]
    source: str


class Manifest(_Record):
    format_version: Literal["1"] = "1"
    generation: int = Field(ge=1)
    user: str
    created: datetime
    config_path: str
    config_digest: str
    entries: list[Entry]
    dconf: dict[str, str] = Field(
        default_factory=dict, description="dconf key → GVariant text the generation sets."
    )
    units: list[Unit] = Field(default_factory=list)
    trees: list[Tree] = Field(default_factory=list)

    def by_path(self) -> dict[str, Entry]:
        return {entry.path: entry for entry in self.entries}


def read_manifest(directory: Path) -> Manifest:
    return read_model(directory / MANIFEST_NAME, Manifest)


def write_manifest(directory: Path, manifest: Manifest) -> None:
    write_json(directory / MANIFEST_NAME, manifest.model_dump(mode="json"))
