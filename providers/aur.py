"""The `aur` provider: packages the configuration routes to the AUR (`"aur:NAME"`).

Manages `aur.package[NAME]` — actual attributes `version` and `reason`, as for `pacman`.
A package built from the AUR is installed with `pacman -U` and lands in the same local database
as every other package ("foreign": no sync database offers it). Which installed packages are
AUR packages is therefore known only from the configuration and from what the current
generation manages: only names in `Scope` under `aur.package[...]` are read. The same
package is also read as `pacman.package[NAME]` by the `pacman` provider.

Ownership: kodos removes an AUR package only when `aur.package[NAME]` is in the current
generation's managed set and the configuration no longer declares it.
"""

from __future__ import annotations

import os
from pathlib import Path

from kodos.pacman.localdb import (
    LOCAL_DB,
    InstalledPackage,
    InstallReason,
    PacmanDbError,
    field_values,
    parse_desc,
)
from kodos.providers import Reading, Scope
from kodos.providers.pacman import package_resource

PROVIDER = "aur"
READS_ALL = False


def read(root: Path, scope: Scope) -> Reading:
    """The installed packages among the AUR names in scope; the others are absent."""
    wanted = scope.names(PROVIDER, "package")
    if not wanted:
        return Reading()
    packages = read_installed(root, wanted)
    return Reading(resources=[package_resource(PROVIDER, p) for p in packages])


def read_installed(root: Path, names: set[str]) -> list[InstalledPackage]:
    """The installed packages called one of `names`, reading only their own entries.

    A local database entry is the directory `NAME-PKGVER-PKGREL` (pkgver and pkgrel hold no
    `-`), so listing the directory tells which entries to open: a handful of `desc` files
    instead of the whole database.
    """
    local = root / LOCAL_DB
    try:
        entries = [e for e in os.scandir(local) if e.name.rsplit("-", 2)[0] in names]
    except FileNotFoundError:
        return []  # no pacman database: nothing installed
    except OSError as err:
        raise PacmanDbError(local, f"cannot list: {err.strerror or err}") from err
    return [_installed(Path(entry.path)) for entry in entries if entry.is_dir()]


def _installed(entry: Path) -> InstalledPackage:
    desc = entry / "desc"
    try:
        fields = parse_desc(desc.read_text(encoding="utf-8"), desc)
    except (OSError, UnicodeDecodeError) as err:
        raise PacmanDbError(desc, f"cannot read: {err}") from err
    names, versions = field_values(fields, "NAME"), field_values(fields, "VERSION")
    if len(names) != 1 or len(versions) != 1 or entry.name != f"{names[0]}-{versions[0]}":
        raise PacmanDbError(desc, f"does not describe the package of its directory {entry.name}")
    # pacman writes %REASON% 1 for dependencies only; absent or 0 means explicit.
    reason = field_values(fields, "REASON")
    if reason not in ((), ("0",), ("1",)):
        raise PacmanDbError(desc, f"%REASON% must be 0 or 1, found {list(reason)}")
    return InstalledPackage(
        name=names[0],
        version=versions[0],
        reason=InstallReason.DEPENDENCY if reason == ("1",) else InstallReason.EXPLICIT,
    )
