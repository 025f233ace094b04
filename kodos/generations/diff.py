"""What differs between two generations: `kodos generations diff A B`.

Read from each generation's own record (inside its subvolume): packages with their versions,
the addresses kodos manages (units, users, files, …) and, for addresses both manage, whether
their desired attributes changed; plus the kernel and the configuration's digest. A generation
without a record — the root kodos adopted as generation 0 — manages nothing, and its packages
are read from its pacman database.

Versions are compared the way pacman compares them (`kodos.pacman.vercmp`), so a change is an
upgrade or a downgrade as pacman would call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kodos.pacman.vercmp import vercmp
from kodos.state.generation import read_record


class PackageChangeKind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    UPGRADED = "upgraded"
    DOWNGRADED = "downgraded"
    REBUILT = "rebuilt"  # different text, same version to pacman (`1.0-1` and `1.0-01`)


class PackageChange(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    name: str
    change: PackageChangeKind
    before: str | None = Field(description="The version in A; None when added.")
    after: str | None = Field(description="The version in B; None when removed.")


class ManagedChanges(BaseModel):
    """Resource addresses (`services.unit[sshd.service]`), sorted."""

    model_config = ConfigDict(frozen=True, defer_build=True)

    added: list[str] = Field(description="Managed in B, not in A.")
    removed: list[str] = Field(description="Managed in A, not in B.")
    changed: list[str] = Field(description="Managed in both, with different desired attributes.")


class GenerationDiff(BaseModel):
    model_config = ConfigDict(frozen=True, defer_build=True)

    a: int
    b: int
    packages: list[PackageChange]
    managed: ManagedChanges
    kernel: tuple[str | None, str | None] | None = Field(description="(A's, B's) when they differ.")
    config_changed: bool


@dataclass(frozen=True, slots=True)
class Side:
    """What a diff compares of one generation."""

    packages: dict[str, str]
    managed: frozenset[str]
    desired: dict[str, dict[str, Any]]
    kernel: str | None
    config_digest: str | None


def read_side(root: Path, shown: str | None = None) -> Side:
    """A generation's side of a diff, from its record, or its pacman database without one.
    `shown` names the root in errors when the user knows it by another path."""
    record = read_record(root, shown)
    if record is None:
        from kodos.pacman.localdb import read_local_packages

        packages = {name: p.version for name, p in read_local_packages(root).items()}
        return Side(packages, frozenset(), {}, None, None)
    managed = frozenset(record.managed)
    return Side(dict(record.packages), managed, record.desired, record.kernel, record.config_digest)


def compare(a_id: int, a: Side, b_id: int, b: Side) -> GenerationDiff:
    return GenerationDiff(
        a=a_id,
        b=b_id,
        packages=package_changes(a.packages, b.packages),
        managed=ManagedChanges(
            added=sorted(b.managed - a.managed),
            removed=sorted(a.managed - b.managed),
            changed=sorted(
                address
                for address in a.managed & b.managed
                if a.desired.get(address) != b.desired.get(address)
            ),
        ),
        kernel=None if a.kernel == b.kernel else (a.kernel, b.kernel),
        config_changed=a.config_digest != b.config_digest,
    )


def package_changes(before: dict[str, str], after: dict[str, str]) -> list[PackageChange]:
    """Every package added, removed or at another version, by name."""
    changes = []
    for name in sorted(before.keys() | after.keys()):
        old, new = before.get(name), after.get(name)
        if old != new:
            changes.append(PackageChange(name=name, change=_kind(old, new), before=old, after=new))
    return changes


def _kind(old: str | None, new: str | None) -> PackageChangeKind:
    if old is None:
        return PackageChangeKind.ADDED
    if new is None:
        return PackageChangeKind.REMOVED
    order = vercmp(old, new)
    if order < 0:
        return PackageChangeKind.UPGRADED
    return PackageChangeKind.DOWNGRADED if order > 0 else PackageChangeKind.REBUILT
