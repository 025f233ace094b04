"""Building AUR package bases: makepkg as an unprivileged uid in a throwaway environment.

Each base, in the order given (`kodos.aur.order.build_order`), is either found in the local
repository at its commit (`LocalRepo.built`) or built: its tree exported from the mirror into
a build directory owned by a uid with no passwd entry, its repository dependencies (and the
AUR packages built before it, from `[kodos-aur]`) installed by pacman into a throwaway
overlay of the running root, and the running system's makepkg run there through `setpriv`
as that uid — never root, no sudo rule, no account added. What it built goes into the local
repository before the next base builds. A failed build raises `AurBuildError` naming the base
with the end of its log; the running system is never written (the local repository keeps what
did build).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kodos.aur.localrepo import BuiltPackage, LocalRepo
from kodos.aur.source import AurBase, AurSource


def build_all(
    bases: list[AurBase],
    source: AurSource,
    repo: LocalRepo,
    *,
    host_root: Path = Path("/"),
    work_dir: Path,
    log: Callable[[str], None] | None = None,
) -> list[BuiltPackage]:
    """Every package of `bases` (already in build order), built now or found built.

    `host_root` is the system whose makepkg builds and whose tree the throwaway environment
    lays over; `work_dir` a directory for the builds (emptied of what a build leaves);
    `log` receives one line per base built or found.
    """
    raise NotImplementedError
