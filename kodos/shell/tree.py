"""The environment's root: the system's own tree, with overlays where packages install.

Laid out in a tmpfs (only the namespace sees it) so the system needs no mount point of its
own and nothing is ever created in it:

* `usr`, `etc`, `var` (with pacman's database and cache) and `opt` (an empty lower layer
  where the system has none) are overlays: the system's directory at the bottom, the
  environment's installed packages above it, and on top the layer that takes this run's
  writes (`Layers`). The whole of `var`,
  not only `var/lib/pacman`: packages write in `var/lib/NAME` too, and the system's copy must
  stay as it is, as must its package cache;
* every other top-level entry of the system is bound as it is (links copied as links), and
  read-only while pacman builds (`read_only`): a package writing in `/boot` or `/srv` fails
  the build rather than change the system;
* `/proc`, `/sys`, `/dev`, `/run`, `/tmp` and `/home` are the host's real ones, and so is the
  user's home wherever it lies, so the user's files and devices are at hand.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from kodos.shell.namespace import (
    MS_BIND,
    MS_NODEV,
    MS_NOSUID,
    MS_RDONLY,
    MS_REMOUNT,
    NamespaceError,
    bind,
    mount,
    overlay,
)

OVERLAID = ("usr", "etc", "var", "opt")
"""What packages install into."""
HOST_DIRS = ("proc", "sys", "dev", "run", "tmp", "home")


@dataclass(frozen=True)
class Layers:
    """Where an overlay's layers lie: for overlaid directory `D`, `LOWER/D` for each of
    `lower` (top first) over the system's `D`, writes in `upper/D` with `work/D` as
    overlayfs's work directory (on the file system of `upper`)."""

    lower: Sequence[Path]
    upper: Path
    work: Path


def assemble(
    system: Path,
    target: Path,
    layers: Layers,
    *,
    user: bool,
    read_only: bool = False,
    private: Collection[str] = (),
    binds: Mapping[str, Path] | None = None,
) -> None:
    """Lay the environment's root on `target` (an empty directory), as the module says.
    `user`: mounting inside a user namespace; `read_only`: the system's other directories
    bound read-only. `private` names host directories (of `HOST_DIRS`) that get an empty
    tmpfs of their own instead, the user's home is then not bound either; `binds` adds
    top-level directories, each bound from a host directory (an AUR build's directory)."""
    mount("kodos-shell", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755")
    for entry in sorted(os.scandir(system), key=lambda e: e.name):
        if entry.name not in OVERLAID and entry.name not in HOST_DIRS:
            _place(Path(entry.path), target / entry.name, read_only=read_only)
    for name in OVERLAID:
        _overlay(system, target, name, layers, user=user)
    for name in HOST_DIRS:
        host = Path("/") / name
        if name in private:
            (target / name).mkdir(exist_ok=True)
            mode = "mode=1777" if name == "tmp" else "mode=0755"
            mount("kodos-private", target / name, "tmpfs", MS_NOSUID | MS_NODEV, mode)
        elif host.is_dir():
            (target / name).mkdir(exist_ok=True)
            bind(host, target / name)
    for name, source in (binds or {}).items():
        if "/" in name or (target / name).exists():
            raise NamespaceError(f"cannot bind {source} on /{name}: the system has a /{name}")
        (target / name).mkdir()
        bind(source, target / name)
    if not private:
        _bind_home(target)
    if read_only:  # anything pacman writes outside the overlays fails instead of vanishing
        mount("none", target, None, MS_BIND | MS_REMOUNT | MS_RDONLY)


def _place(source: Path, target: Path, *, read_only: bool) -> None:
    if source.is_symlink():
        os.symlink(os.readlink(source), target)
        return
    if source.is_dir():
        target.mkdir()
    else:
        target.touch()
    bind(source, target, read_only=read_only)


def _overlay(system: Path, target: Path, name: str, layers: Layers, *, user: bool) -> None:
    (target / name).mkdir()
    upper, work = layers.upper / name, layers.work / name
    upper.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    lowers = [layer / name for layer in layers.lower if (layer / name).is_dir()]
    if (system / name).is_dir():
        lowers.append(system / name)
    if not lowers:  # overlayfs needs a lower layer: an empty one stands for a missing directory
        empty = layers.work / f"{name}.empty"
        empty.mkdir(exist_ok=True)
        lowers.append(empty)
    overlay(target / name, lowers, upper, work, user=user)


def _bind_home(target: Path) -> None:
    """The user's home when it lies outside the host directories already bound (root's
    /root); only where the system has the directory, since nothing is made in it."""
    home = Path(os.environ.get("HOME", "/"))
    if not home.is_absolute() or home == Path("/") or not home.is_dir():
        return
    if home.parts[1] in HOST_DIRS:
        return
    inside = target / home.relative_to("/")
    if inside.is_dir() and not inside.is_symlink():
        bind(home, inside)
