"""Providers: read the actual state of a machine, one module per provider.

Every provider module listed in `kodos.providers.registry.PROVIDERS` (`pacman`, `aur`,
`flatpak`, `users`, `files`, `services`, `bootloader`, in `kodos.resources.PROVIDER_ORDER`) has

* `PROVIDER: str` — the first part of the addresses it reads (`pacman` for
  `pacman.package[htop]`), equal to the module's name;
* `read(root: Path, scope: Scope) -> Reading` — the resources that exist in the root
  directory `root` (a machine's `/`, a mounted image, an empty directory for a fresh install).

Reading is pure (house habit 2): it writes nothing, runs nothing that changes anything and needs
no root privileges — what it cannot see without them becomes a note, not a failure. A resource
is emitted only for what exists; absence means "not there" (docs/resources.md).

Which addresses a provider reads:

* pacman, services, users, bootloader read everything of their kinds — a machine has a bounded
  number of packages, units, accounts and boot entries;
* aur and files read only what `Scope.addresses` names: which installed package came from the
  AUR is known only from the configuration, and a file is worth reading only when kodos
  manages or is asked to manage it.

A root that cannot be read at all, or data so damaged that nothing can be read from it, raises
a `kodos.errors.ReadError` (or another `KodosError`, such as `kodos.pacman.localdb`'s
`PacmanDbError`) naming the file and what was wrong.

What the providers read with lives elsewhere: `kodos.pacman` (pacman's databases and file
lists), `kodos.systemd` (systemd's enablement rules, for `services`) and `kodos.system.rootfs`
(paths and symlinks confined to the root).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from kodos.resources import Resource, parse_address


@dataclass(frozen=True, slots=True)
class Scope:
    """The addresses a plan is about: the desired ones and those the current generation manages.

    Providers that read wholesale ignore it (or use it for extra names they could not find by
    listing, such as a unit instance nobody has enabled yet).
    """

    addresses: frozenset[str] = frozenset()

    def names(self, provider: str, kind: str) -> set[str]:
        """The names in scope of one kind: `names("aur", "package")` → `{"floorp-bin"}`."""
        prefix = f"{provider}.{kind}["
        found = set()
        for address in self.addresses:
            if address.startswith(prefix):
                found.add(parse_address(address)[2])
        return found


@dataclass(frozen=True, slots=True)
class Reading:
    """What one provider read: the resources that exist, and notes on what it could not read
    and why (shown with the plan, e.g. "etc/shadow is not readable …: password state
    unknown"). A note never hides a resource: unknown attributes are left out of it."""

    resources: list[Resource] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


class Provider(Protocol):
    """What `kodos.plan.actual` expects of a provider module."""

    PROVIDER: str
    READS_ALL: bool
    """True when `read` lists everything of its kinds; False when it reads only the addresses
    in scope (a facts file then knows nothing of an address outside the scope it was read
    with)."""

    def read(self, root: Path, scope: Scope) -> Reading: ...
