"""What `kodos validate` checks beyond the model, still without a machine.

`plan` refuses some configurations only after expanding them (`kodos.desired`): a boot entry
kodos has no descriptor for, settings with nowhere to go, a second display manager, LANG set
twice, a locale used but not generated. None of that needs a machine, so `validate` expands
the configuration too and reports the same located problems. What does need one — groups the
machine must have, units its packages ship — is left to `plan`.

With sync databases (`validate --sync-dir DIR`, or `--refresh` downloading them from the
configuration's Arch mirror as `plan --refresh` does) every package name is also resolved as
`plan` resolves it — groups, providers, a desktop's exclusions — so a CI job without a machine
catches a misspelt package. Without them a package name is checked for its shape only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kodos.config.load import LoadedConfig
from kodos.errors import Problem


@dataclass(frozen=True, slots=True)
class SyncOptions:
    """Where `validate` finds sync databases: none, a directory, or a download."""

    sync_dir: Path | None = None
    refresh: bool = False
    cache_dir: Path | None = None
    """Replaces the default download cache (`kodos.pacman.syncdb.default_cache_dir`)."""

    @property
    def wanted(self) -> bool:
        return self.sync_dir is not None or self.refresh


@dataclass
class OfflineCheck:
    problems: list[Problem] = field(default_factory=list)
    checked_packages: int = 0
    """How many package requests were resolved against sync databases (0: none were)."""


def check_offline(loaded: LoadedConfig, sync: SyncOptions) -> OfflineCheck:
    """The problems `plan` would find in `loaded` before reading a machine."""
    from kodos.desired import build_desired

    desired = build_desired(loaded.config, loaded.file.parent)
    check = OfflineCheck(problems=list(desired.problems))
    if sync.wanted:
        from kodos.pacman.syncdb import load_sync_index, locate_sync_databases
        from kodos.plan.resolve import resolve

        mirror = next((r.mirror for r in loaded.config.repos.values() if r.type == "arch"), None)
        source = locate_sync_databases(
            None,
            sync_dir=sync.sync_dir,
            mirror=mirror,
            refresh=sync.refresh,
            cache_dir=sync.cache_dir,
        )
        assert source is not None  # a directory or a download was asked for
        remote = next((r.remote for r in loaded.config.repos.values() if r.type == "flatpak"), None)
        resolution = resolve(desired.packages, load_sync_index(source), flatpak_remote=remote)
        check.problems += resolution.problems
        check.checked_packages = sum(1 for r in desired.packages if r.source == "pacman")
    return check
