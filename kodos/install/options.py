"""What `kodos install` was asked to do, and what its checks established before anything is
written: handed from `run` through `checks` to `build`, which all import it (and it none of them).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kodos.config.load import LoadedConfig
from kodos.disklayout import Layout
from kodos.pacman.syncdb import DEFAULT_SIG_LEVEL


@dataclass(frozen=True, slots=True)
class InstallOptions:
    config: str
    image: Path | None = None
    size: str | None = None
    sync_dir: Path | None = None
    sig_level: str = DEFAULT_SIG_LEVEL
    lua_path: tuple[Path, ...] = ()


@dataclass(frozen=True, slots=True)
class Prepared:
    """What the checks established: everything the build needs, nothing written yet."""

    options: InstallOptions
    loaded: LoadedConfig
    layout: Layout
    mirror: str
    packages: list[str]
