"""What differs between two generations: `kodos generations diff A B`.

Read from each generation's own record (inside its subvolume): packages with their versions,
the addresses kodos manages (units, users, files, …) and, for addresses both manage, whether
their desired attributes changed; the kernel; and the configuration setting by setting
(`kodos.generations.configdiff`), from the configuration each record keeps. A generation
without a record — the root kodos adopted as generation 0 — manages nothing and was built by no
configuration, and its packages are read from its pacman database. A record written before
kodos kept the configuration says only whether the configuration's digest changed.

Versions are compared the way pacman compares them (`kodos.pacman.vercmp`), so a change is an
upgrade or a downgrade as pacman would call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from kodos.generations.configdiff import SettingChange, setting_changes
from kodos.pacman.vercmp import vercmp
from kodos.state.generation import Status, read_record


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
    status: tuple[Status, Status] = Field(description="(A's, B's), as the index lists them.")
    packages: list[PackageChange]
    managed: ManagedChanges
    kernel: tuple[str | None, str | None] | None = Field(description="(A's, B's) when they differ.")
    config_changed: bool
    configuration: list[SettingChange] | None = Field(
        description="The settings that differ; None when A or B did not keep its configuration "
        "(`not_kept` says which)."
    )
    not_kept: list[int] = Field(
        default_factory=list,
        description="A and/or B when its record predates kept configurations.",
    )


@dataclass(frozen=True, slots=True)
class Side:
    """What a diff compares of one generation."""

    packages: dict[str, str]
    managed: frozenset[str]
    desired: dict[str, dict[str, Any]]
    kernel: str | None
    config_digest: str | None
    configuration: dict[str, Any] | None
    """{} for a root no configuration built; None when its record did not keep it."""
    status: Status = Status.READY


def read_side(root: Path, shown: str | None = None, status: Status = Status.READY) -> Side:
    """A generation's side of a diff, from its record, or its pacman database without one.
    `shown` names the root in errors when the user knows it by another path; `status` is the
    index's word on it (a failed build's record may still say building)."""
    record = read_record(root, shown)
    if record is None:
        from kodos.pacman.localdb import read_local_packages

        packages = {name: p.version for name, p in read_local_packages(root).items()}
        return Side(packages, frozenset(), {}, None, None, {}, status)
    return Side(
        dict(record.packages),
        frozenset(record.managed),
        record.desired,
        record.kernel,
        record.config_digest,
        record.configuration,
        status,
    )


def compare(a_id: int, a: Side, b_id: int, b: Side) -> GenerationDiff:
    kept = a.configuration is not None and b.configuration is not None
    return GenerationDiff(
        a=a_id,
        b=b_id,
        status=(a.status, b.status),
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
        configuration=(
            setting_changes(a.configuration or {}, b.configuration or {}) if kept else None
        ),
        not_kept=[i for i, side in ((a_id, a), (b_id, b)) if side.configuration is None],
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
