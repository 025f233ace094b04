"""A new environment: the requested packages, checked against the sync databases, installed by
pacman into overlay layers over the system.

Names are checked first, on the host, so a typo is refused with a suggestion before anything
is built. pacman then runs in a child that is root of its own namespaces (`namespace`), with
`--root` the environment's tree (`tree`): its database, the system's sync databases and
pacman.conf, hooks and keyring are the ones inside, seen through the overlays, so what it
writes lands in the environment's layers. Its downloads go to the build's own cache (the
system's cache, read through the `var` overlay, is never written) and its log to the build.
The system's lock (`var/lib/pacman/db.lck`) is taken inside the overlay, never on the system.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path

from kodos.errors import KodosError
from kodos.pacman.localdb import SyncIndex, read_sync_directory
from kodos.pacman.syncdb import root_repos
from kodos.plan.resolve import Suggester
from kodos.shell import namespace, tree
from kodos.system.runner import CommandFailed, run

SYNC_DIR = Path("var/lib/pacman/sync")
EXTRACTION_WARNING = "warning given when extracting"
OWNER_WARNING = "(Can't set user="
"""libarchive's words when a file's owner is not mapped in the user namespace."""
LOCATIONS = "locations"
"""Where a normal user's build keeps the packages pacman listed (`-Sp`: name and location)."""


class ShellBuildError(KodosError):
    """The environment could not be built."""


def check_names(system: Path, names: Sequence[str]) -> None:
    """Refuse a name no repository of `system` offers as a package, a provided name or a
    group, suggesting the closest one that exists."""
    index = _index(system)
    missing = [name for name in names if not _offered(index, name)]
    if not missing:
        return
    name = missing[0]
    suggester = Suggester(
        [*(n for repo in index.repos for n in index.packages[repo]), *index.groups]
    )
    match = suggester.closest(name)
    hint = f"; did you mean {_quote(match)}?" if match is not None else ""
    repos = ", ".join(index.repos)
    raise ShellBuildError(
        f"no package or group named {_quote(name)} in the repositories ({repos}){hint}"
    )


def build(system: Path, names: Sequence[str], building: Path) -> None:
    """Install `names` into a new environment in `building`, each pacman run in a child of
    its own namespaces. A normal user's build downloads first and lists what the packages
    hold, so the directories they go in can be made the user's (`skeleton`)."""
    from kodos.shell.process import in_child
    from kodos.shell.skeleton import (
        DATABASE_DIRS,
        archive_directories,
        installed_directories,
        prepare,
    )

    upper = building / "layers"
    tops = tree.OVERLAID
    if os.geteuid() != 0:
        upper.mkdir()
        for top in tops:
            (upper / top).mkdir()
        prepare(system, upper, tops, DATABASE_DIRS)
        in_child(lambda: _in_tree(system, building, names, download=True))
        directories: set[str] = set()
        for name, archive in _archives(system, building):
            directories |= archive_directories(archive) | installed_directories(system, name)
        prepare(system, upper, tops, directories)
    in_child(lambda: _in_tree(system, building, names, download=False))


def _in_tree(system: Path, building: Path, names: Sequence[str], *, download: bool) -> int:
    """In a child: lay the tree with `building/layers` receiving the writes, then run pacman:
    to download and list the packages (`download`), or to install them."""
    user = os.geteuid() != 0  # asked before entering: inside, everyone is root
    namespace.enter_as_root()
    target = building / "tree"
    target.mkdir(exist_ok=True)
    layers = tree.Layers(lower=(), upper=building / "layers", work=building / "work")
    tree.assemble(system, target, layers, user=user, read_only=True)
    try:
        if download:
            listed = run(pacman_argv(target, building, ["-Sp", "--print-format", "%n %l"], names))
            (building / LOCATIONS).write_text(listed.stdout)
            run(pacman_argv(target, building, ["-Sw"], names))
        else:
            done = run(pacman_argv(target, building, ["-S"], names))
            silent = silent_error(done.stdout + done.stderr, target)
            if silent is not None:
                raise ShellBuildError(_failed(names, silent))
    except CommandFailed as err:
        raise ShellBuildError(_failed(names, err.message)) from None
    return 0


def silent_error(output: str, target: Path) -> str | None:
    """pacman exits 0 when a file cannot be extracted (into a read-only directory: it only
    warns) or a scriptlet fails; the environment would lack what it reported. The first such
    line of `output`, its paths shown as inside the environment, or None."""
    for line in output.splitlines():
        if OWNER_WARNING in line:  # in a user namespace files belong to the user: expected
            continue
        if line.startswith("error: ") or EXTRACTION_WARNING in line:
            message = line.removeprefix("error: ").removeprefix("warning: ")
            return message.replace(str(target), "")
    return None


def _failed(names: Sequence[str], message: str) -> str:
    return f"pacman could not install {', '.join(names)}: {message}"


def _archives(system: Path, building: Path) -> list[tuple[str, Path]]:
    """Each package the install will bring (name, package file): the file downloaded into
    the build, or found in the system's cache."""
    found = []
    for line in (building / LOCATIONS).read_text().splitlines():
        name, _, location = line.strip().partition(" ")
        filename = location.rsplit("/", 1)[-1]
        if not filename:
            continue
        for directory in (building / "pkg", system / "var/cache/pacman/pkg"):
            if (directory / filename).is_file():
                found.append((name, directory / filename))
                break
    return found


def pacman_argv(
    target: Path,
    building: Path,
    operation: Sequence[str],
    names: Sequence[str],
    *,
    config: Path | None = None,
    needed: bool = True,
) -> list[str]:
    """pacman on the environment's tree: everything it reads is the environment's (but
    `config`, when given), its downloads first go to the build's cache (the first cache
    directory it can write); `needed`: packages installed already are not reinstalled."""
    return [
        "pacman",
        "--root", str(target),
        "--dbpath", str(target / "var/lib/pacman"),
        "--config", str(config or target / "etc/pacman.conf"),
        "--cachedir", str(building / "pkg"),
        "--cachedir", str(target / "var/cache/pacman/pkg"),
        "--hookdir", str(target / "etc/pacman.d/hooks"),
        "--gpgdir", str(target / "etc/pacman.d/gnupg"),
        "--logfile", str(building / "pacman.log"),
        "--color", "never",
        "--noconfirm", "--noprogressbar",
        *operation, *(["--needed"] if needed else []), "--", *names,
    ]  # fmt: skip


def _index(system: Path) -> SyncIndex:
    directory = system / SYNC_DIR
    repos = tuple(repo for repo in root_repos(system) if (directory / f"{repo}.db").exists())
    return read_sync_directory(directory, repos)


def _offered(index: SyncIndex, name: str) -> bool:
    return index.satisfier(name) is not None or bool(index.group(name))


def _quote(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)
