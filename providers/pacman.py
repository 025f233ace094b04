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

Also manages the repositories pacman uses: `pacman.repository[NAME]` — one section of
`etc/pacman.conf`, actual attributes `include` (the one file it takes its servers from) or
`servers` (its `Server`/`Include` lines, when it has others), and `added_by: "kodos"` when
kodos added it (`kodos.pacman.conf`); every section pacman reads is read, those of the files
pacman.conf includes too (`kodos.pacman.confread`) — and
`pacman.mirrorlist[PATH]` — `servers` of a mirror list, read when in scope. Ownership: a
repository section is removed only when kodos added it; a mirror list is never removed.
"""

from __future__ import annotations

from pathlib import Path

from kodos.errors import KodosError
from kodos.pacman import conf, confread
from kodos.pacman.localdb import InstalledPackage, read_local_packages
from kodos.providers import Reading, Scope
from kodos.resources import Resource
from kodos.system.rootfs import read_text_in_root

PROVIDER = "pacman"
READS_ALL = True


def read(root: Path, scope: Scope) -> Reading:
    """Every package installed in `root` (none for a root without a pacman database)."""
    packages = read_local_packages(root)
    reading = Reading(resources=[package_resource(PROVIDER, p) for p in packages.values()])
    _read_repositories(root, scope, reading)
    return reading


PACMAN_CONF = conf.PACMAN_CONF


def _read_repositories(root: Path, scope: Scope, reading: Reading) -> None:
    """The repository sections of pacman.conf, and the mirror lists in scope."""
    for repository in _repositories(root, reading.notes).values():
        attributes = dict(conf.repository_attributes(repository))
        reading.resources.append(Resource(PROVIDER, "repository", repository.name, attributes))
    for path in sorted(scope.names(PROVIDER, "mirrorlist")):
        listed = _text(root, path, reading.notes)
        if listed is not None:
            servers = conf.mirrorlist_servers(listed)
            reading.resources.append(Resource(PROVIDER, "mirrorlist", path, {"servers": servers}))


def _repositories(root: Path, notes: list[str]) -> dict[str, conf.Repository]:
    """pacman.conf's sections, its includes followed as pacman follows them; none when it is
    missing or unreadable (a note). An `Include` pacman would stop at is an error: pacman
    cannot run on this root, and planning sections it does not see would add twins."""
    try:
        return confread.read_repositories(root)
    except confread.PacmanConfError:
        raise
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, KodosError) as err:
        notes.append(f"{PACMAN_CONF}: not readable ({err}); its repositories are unknown")
        return {}


def _text(root: Path, path: str, notes: list[str]) -> str | None:
    """A configuration file inside the root; None when it is missing or unreadable (a note)."""
    try:
        return read_text_in_root(root, path)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KodosError) as err:
        notes.append(f"{path}: not readable ({err}); its repositories are unknown")
        return None


def package_resource(provider: str, package: InstalledPackage) -> Resource:
    """`<provider>.package[NAME]` {version, reason} of an installed package."""
    # `.value`: the enum's plain string, so attributes stay plain JSON values.
    attributes: dict[str, object] = {"version": package.version, "reason": package.reason.value}
    if package.groups:
        attributes["groups"] = sorted(package.groups)
    return Resource(provider, "package", package.name, attributes)
