"""Resources: the things kodos manages, named by address, with typed attributes.

A resource is one thing a provider manages — a package, a unit's enablement, a user, a file —
addressed `<provider>.<kind>[<name>]`, e.g. `pacman.package[htop]`,
`services.unit[sshd.service]`, `files.file[/etc/hostname]`. The desired state (from the
configuration) and the actual state (read from a machine) are both `ResourceSet`s, and the plan
is their difference. Resources are plain frozen dataclasses: a machine has tens of thousands
of packages and planning must stay fast; pydantic is used only at the file boundary.

Attribute values are JSON values. The attributes a *desired* resource carries are the ones
kodos manages and compares; an *actual* resource may carry more (a package's installed
version) that are shown but never cause a change by themselves.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from kodos.text.lazyregex import lazy

JsonValue = Any  # str | int | float | bool | None | list[JsonValue] | dict[str, JsonValue]

# Providers in dependency order: packages first (they bring shells, units and files), then
# users, files, services, and the boot loader last. Plans list changes in this order.
PROVIDER_ORDER = ("pacman", "aur", "flatpak", "users", "files", "services", "bootloader")

SENSITIVE_PLACEHOLDER = "(sensitive)"

_ADDRESS = lazy(r"^(?P<provider>[a-z_]+)\.(?P<kind>[a-z_]+)\[(?P<name>.+)\]$")


@dataclass(frozen=True, slots=True)
class Resource:
    """One managed thing.

    `sensitive` names attributes whose values are secrets (a password hash): they take part in
    comparisons but are never printed, logged or stored in plain text. `source` is the
    configuration path that asked for this resource (desired side only), for messages.
    """

    provider: str
    kind: str
    name: str
    attributes: Mapping[str, JsonValue] = field(default_factory=dict)
    sensitive: frozenset[str] = frozenset()
    source: str | None = None

    @property
    def address(self) -> str:
        return address_of(self.provider, self.kind, self.name)

    def __repr__(self) -> str:
        # A resource may hold a password hash: its repr (logs, tracebacks) must not.
        shown = {
            key: SENSITIVE_PLACEHOLDER if key in self.sensitive else value
            for key, value in self.attributes.items()
        }
        return f"Resource({self.address}, {shown!r})"


def address_of(provider: str, kind: str, name: str) -> str:
    return f"{provider}.{kind}[{name}]"


def parse_address(address: str) -> tuple[str, str, str]:
    """Split `pacman.package[htop]` into its provider, kind and name; ValueError if malformed."""
    match = _ADDRESS.match(address)
    if not match:
        raise ValueError(f"not a resource address: {address!r}")
    return match["provider"], match["kind"], match["name"]


def sort_key(address: str) -> tuple[int, str, str]:
    """Order by provider dependency, then kind, then name (so `bluez` comes before
    `bluez-utils`, as pacman lists them; comparing whole addresses would not, `]` > `-`)."""
    provider, kind, name = parse_address(address)
    rank = PROVIDER_ORDER.index(provider) if provider in PROVIDER_ORDER else len(PROVIDER_ORDER)
    return rank, kind, name


class ResourceSet(Mapping[str, Resource]):
    """Resources by address. Adding a second resource at an address is an error, unless both
    agree (two sections asking for the same package is fine)."""

    def __init__(self, resources: Iterable[Resource] = ()) -> None:
        self._by_address: dict[str, Resource] = {}
        for resource in resources:
            self.add(resource)

    def add(self, resource: Resource) -> None:
        existing = self._by_address.get(resource.address)
        if existing is not None and existing.attributes != resource.attributes:
            raise ConflictingResources(existing, resource)
        if existing is None:
            self._by_address[resource.address] = resource

    def __getitem__(self, address: str) -> Resource:
        return self._by_address[address]

    def __iter__(self) -> Iterator[str]:
        return iter(self._by_address)

    def __len__(self) -> int:
        return len(self._by_address)

    def of_provider(self, provider: str) -> list[Resource]:
        return [r for r in self._by_address.values() if r.provider == provider]


class ConflictingResources(ValueError):
    """Two parts of a configuration ask for different things at the same address."""

    def __init__(self, first: Resource, second: Resource) -> None:
        self.first = first
        self.second = second
        super().__init__(
            f"{second.address} is declared twice with different settings "
            f"(at {first.source or '?'} and {second.source or '?'})"
        )
