"""`--upgrade`: every installed package the sync databases offer a newer version of.

`pacman -Su` upgrades each installed package whose name the repositories (in pacman.conf
order, the first holding it) offer at a higher version (`vercmp`); the plan shows exactly
those, as updates of `version` (`~ pacman.package[htop]  version: "3.3.0-1" -> "3.4.1-1"`),
merged into a change the diff already has for the package (a reason update). A package the
plan removes is not listed (it goes, whatever its version). Notes say what the kernel becomes
and how much the listed packages weigh to download.

Not modelled (pacman does them in the same transaction, the verification re-plan would then
disagree and the apply stop): `%REPLACES%` replacements, `IgnorePkg`, and downgrades
(`-Suu`). docs/upgrade.md says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from kodos.pacman.localdb import SyncIndex
from kodos.pacman.vercmp import vercmp
from kodos.plan.model import Action, Change
from kodos.resources import Resource, sort_key


def upgrade_changes(
    changes: list[Change], installed: Mapping[str, Resource], index: SyncIndex
) -> list[Change]:
    """`changes` with every upgrade added (or merged into the package's change)."""
    by_address = {change.address: change for change in changes}
    for resource in installed.values():
        if (resource.provider, resource.kind) != ("pacman", "package"):
            continue
        newer = newer_version(resource, index)
        if newer is None:
            continue
        existing = by_address.get(resource.address)
        if existing is None:
            by_address[resource.address] = _upgrade(resource, newer)
        elif existing.action == Action.UPDATE:
            after = {**(existing.after or {}), "version": newer}
            changed = sorted({*existing.changed, "version"})
            by_address[resource.address] = existing.model_copy(
                update={"after": after, "changed": changed}
            )
    return sorted(by_address.values(), key=lambda change: sort_key(change.address))


def newer_version(resource: Resource, index: SyncIndex) -> str | None:
    offered = index.get(resource.name)
    current = str(resource.attributes.get("version", ""))
    if offered is None or vercmp(offered.version, current) <= 0:
        return None
    return offered.version


def _upgrade(resource: Resource, version: str) -> Change:
    before = dict(resource.attributes)
    return Change(
        address=resource.address,
        provider=resource.provider,
        kind=resource.kind,
        name=resource.name,
        action=Action.UPDATE,
        before=before,
        after={**before, "version": version},
        changed=["version"],
    )


def upgrade_notes(changes: list[Change], index: SyncIndex, kernel: str | None) -> list[str]:
    """What the kernel becomes, and the download size of the packages the plan names."""
    notes = []
    upgrades = [c for c in changes if c.action == Action.UPDATE and "version" in c.changed]
    for change in upgrades:
        if change.name == kernel:
            old, new = (change.before or {}).get("version"), (change.after or {}).get("version")
            notes.append(f"kernel {kernel}: {old} -> {new}; the new generation boots it")
    fetched = [c.name for c in upgrades]
    fetched += [c.name for c in changes if c.action == Action.CREATE and c.provider == "pacman"]
    size = sum(found.download_size for name in fetched if (found := index.get(name)) is not None)
    count = len(upgrades)
    notes.append(
        f"upgrade: {count} package{'s' if count != 1 else ''} to upgrade; download size "
        f"{size / 1048576:.2f} MiB for the packages listed (less what the package cache holds, "
        "plus the dependencies they pull in)"
    )
    return notes
