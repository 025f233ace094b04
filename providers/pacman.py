"""The `pacman` provider: packages installed from the configured Arch repositories.

Manages `pacman.package[NAME]` — actual attributes `version` (with its epoch, `1:1.2-1`),
`reason` (`explicit` or `dependency`) and, for members of package groups, `groups` (so a plan
without sync databases still knows that `gnome` is a group), read from the local database
`var/lib/pacman/local/*/desc` by `kodos.pacman.localdb` (no pacman process: a machine with
20,000 packages reads in tens of milliseconds).

Every installed package is read, whatever the scope: the planner must know what is installed
to remove what the configuration dropped and to leave alone what it never managed. A package
installed from the AUR is in the same database; it is read here too and, when the configuration
routes it to the AUR, by the `aur` provider as well (`aur.package[NAME]`), so both addresses
describe it. Ownership: kodos removes a package only when its address is in the current
generation's managed set and the configuration no longer declares it.
"""

from __future__ import annotations

from pathlib import Path

from kodos.pacman.localdb import InstalledPackage, read_local_packages
from kodos.providers import Reading, Scope
from kodos.resources import Resource

PROVIDER = "pacman"
READS_ALL = True


def read(root: Path, scope: Scope) -> Reading:
    """Every package installed in `root` (none for a root without a pacman database)."""
    packages = read_local_packages(root)
    return Reading(resources=[package_resource(PROVIDER, p) for p in packages.values()])


def package_resource(provider: str, package: InstalledPackage) -> Resource:
    """`<provider>.package[NAME]` {version, reason} of an installed package."""
    # `.value`: the enum's plain string, so attributes stay plain JSON values.
    attributes: dict[str, object] = {"version": package.version, "reason": package.reason.value}
    if package.groups:
        attributes["groups"] = sorted(package.groups)
    return Resource(provider, "package", package.name, attributes)
