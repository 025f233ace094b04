"""What a user's section asks to have in the home: the items the program renderers produce.

The interface between the renderers (`kodos/home/programs/`) and the home generations
(`kodos/home/`): the renderers turn `users[NAME]` into a `HomeWanted`, and the rest of the room
plans, records and activates it. These types only grow (new optional fields, new kinds).

Paths are home-relative POSIX strings without `..` (".config/git/config"), shown in resource
addresses as `~/.config/git/config`. `source` is the configuration path that asked for the item
(`users["ada"].programs.git.config`), for messages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

# A link target written "@gen/<rel>" points into the generation's own copy (`tree/<name>/…`
# exported from a dotfile repository), resolved by the activation to that generation.
GENERATION_PREFIX = "@gen/"


@dataclass(frozen=True)
class HomeFile:
    """A file with this content and mode at `path` in the home."""

    path: str
    content: bytes
    mode: int
    source: str


@dataclass(frozen=True)
class HomeLink:
    """A symbolic link at `path` in the home to `target`: an absolute path, or
    `@gen/<rel>` for a path inside the generation."""

    path: str
    target: str
    source: str


@dataclass(frozen=True)
class HomeTree:
    """A dotfile repository's commit, exported into the generation under `tree/<name>/`
    before the links `@gen/tree/<name>/…` into it are placed."""

    name: str
    git_dir: Path
    commit: str
    source: str


@dataclass(frozen=True)
class DconfKey:
    """A dconf key (`/org/gnome/desktop/interface/color-scheme`) and its value in GVariant
    text (`'prefer-dark'`)."""

    key: str
    value: str
    source: str


@dataclass(frozen=True)
class UserUnit:
    """A systemd user unit: its file (`content`; None for the package's own unit) and the
    targets whose `.wants` link it gets."""

    name: str
    content: bytes | None
    wanted_by: tuple[str, ...]
    source: str


@dataclass
class HomeWanted:
    """Everything a user's section asks for in the home."""

    files: list[HomeFile] = field(default_factory=list)
    links: list[HomeLink] = field(default_factory=list)
    trees: list[HomeTree] = field(default_factory=list)
    dconf: list[DconfKey] = field(default_factory=list)
    units: list[UserUnit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def file_address(path: str) -> str:
    return f"home.file[~/{path}]"


def link_address(path: str) -> str:
    return f"home.link[~/{path}]"


def dconf_address(key: str) -> str:
    return f"home.dconf[{key}]"


def unit_address(name: str) -> str:
    return f"home.unit[{name}]"
