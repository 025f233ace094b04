"""Roots that `kodos.apply.execute` can change, and ways to see what it changed.

A root here is what a generation snapshot looks like to the applier: `base` installed, the
pacman configuration at `etc/pacman.conf` (where the applier reads it), the sync databases
already downloaded (the applier never refreshes them), and the Flatpak remote set up.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from kodos.plan.model import Action, Change
from kodos.resources import Resource
from tests.support.flatpak import FlatpakRepo, flatpak
from tests.support.mirror import Mirror, Pkg, package_bytes, write_pacman_conf
from tests.support.target import TargetRoot, make_root

# What each kind of entry is recorded as: its type, mode and content digest or link target.
Entry = tuple[str, int, str]


def applicable_root(directory: Path, mirror: Mirror) -> TargetRoot:
    """A fresh root with `base` installed and its own `etc/pacman.conf`."""
    root = make_root(directory / "root")
    conf = write_pacman_conf(root / "etc/pacman.conf", mirror)
    target = TargetRoot(root, conf)
    target.install("base")  # -Sy: the sync databases the plan's resolution matches
    return target


def add_flatpak_remote(root: Path, name: str, repo: FlatpakRepo) -> None:
    (root / "var/lib/flatpak").mkdir(parents=True, exist_ok=True)
    flatpak(root, "remote-add", "--if-not-exists", "--no-gpg-verify", name, repo.url)


def install_built(root: TargetRoot, directory: Path, packages: Iterable[Pkg]) -> None:
    """`pacman -U` packages no repository offers (what an AUR helper would have built)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = []
    for pkg in packages:
        path = directory / pkg.filename
        path.write_bytes(package_bytes(pkg))
        files.append(str(path))
    root.pacman("-U", "--noconfirm", "--noprogressbar", *files)


def tree(root: Path) -> dict[str, Entry]:
    """Every path under `root` with its type, mode and content digest (or link target)."""
    found: dict[str, Entry] = {}
    for directory, subdirectories, names in os.walk(root):
        for name in [*subdirectories, *names]:
            path = os.path.join(directory, name)
            status = os.lstat(path)
            found[os.path.relpath(path, root)] = _entry(path, status)
    return found


def _entry(path: str, status: os.stat_result) -> Entry:
    mode = stat.S_IMODE(status.st_mode)
    if stat.S_ISLNK(status.st_mode):
        return "link", mode, os.readlink(path)
    if stat.S_ISREG(status.st_mode):
        with open(path, "rb") as stream:
            return "file", mode, hashlib.sha256(stream.read()).hexdigest()
    return "dir" if stat.S_ISDIR(status.st_mode) else "other", mode, ""


def mounts_under(root: Path) -> list[str]:
    """Mount points at or below `root`, from this process's mountinfo."""
    prefix = str(root.resolve())
    with open("/proc/self/mountinfo", encoding="utf-8") as stream:
        points = [line.split()[4] for line in stream]
    return [point for point in points if point == prefix or point.startswith(prefix + "/")]


def change(
    address_provider: str,
    kind: str,
    name: str,
    action: Action,
    *,
    before: dict[str, object] | None = None,
    after: dict[str, object] | None = None,
    changed: Iterable[str] = (),
    sensitive: Iterable[str] = (),
) -> Change:
    """A hand-made change, for plans no configuration produces."""
    return Change(
        address=f"{address_provider}.{kind}[{name}]",
        provider=address_provider,
        kind=kind,
        name=name,
        action=action,
        before=before,
        after=after,
        changed=list(changed),
        sensitive=sorted(sensitive),
    )


def resource(provider: str, kind: str, name: str, **attributes: object) -> Resource:
    sensitive = frozenset({"password"}) if "password" in attributes else frozenset()
    return Resource(provider, kind, name, attributes, sensitive)
