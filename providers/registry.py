"""Every provider, in the order a plan reads them: one typed table.

A provider module is a `Provider` by its shape (`PROVIDER` and `read` at its top level); mypy
checks each entry against the protocol, so a provider that drifts from the contract fails the
type check rather than a plan. The order is `kodos.resources.PROVIDER_ORDER`'s, the order in
which changes are applied.
"""

from __future__ import annotations

from kodos.providers import (
    Provider,
    aur,
    bootloader,
    files,
    flatpak,
    pacman,
    services,
    users,
)

PROVIDERS: tuple[Provider, ...] = (pacman, aur, flatpak, users, files, services, bootloader)
