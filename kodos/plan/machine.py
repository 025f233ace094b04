"""The machine a plan is made against: read live from a root directory, or from a facts file.

Both give the same `MachineState`, so `kodos plan --root DIR` and `kodos plan --facts FILE`
share every step after this one. A facts file (`kodos facts`) is the actual state written as
JSON — for planning in CI without the machine. Secrets never enter it: a sensitive value is
kept only as a digest (`kodos.secrets.SealedSecret`), enough to tell whether a configured
password hash is the one on the machine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from kodos import __version__
from kodos.errors import KodosError, Problem
from kodos.resources import Resource, ResourceSet, parse_address
from kodos.secrets import SealedSecret, seal
from kodos.state.generation import GenerationRecord, read_record
from kodos.system.jsonfile import FileFormatError, read_model


@dataclass(frozen=True, slots=True)
class MachineState:
    root: str
    resources: ResourceSet
    record: GenerationRecord | None
    groups: frozenset[str]
    notes: tuple[str, ...] = ()
    scope: frozenset[str] | None = None
    """The addresses the providers that read only what they are asked (`READS_ALL` false) were
    asked for; None for facts that did not record it. Outside it, absence proves nothing."""

    @property
    def managed(self) -> frozenset[str]:
        return frozenset(self.record.managed) if self.record else frozenset()

    def unread(self, addresses: Iterable[str]) -> list[str]:
        """Those of `addresses` this reading cannot speak for: of a provider that reads only
        what it is asked, and not asked here (a file and a symlink at one path are one read)."""
        from kodos.providers.registry import PROVIDERS

        partial = {p.PROVIDER for p in PROVIDERS if not p.READS_ALL}
        looked = {_read_key(a) for a in self.scope} if self.scope is not None else set()
        return sorted(
            a for a in addresses if a.split(".", 1)[0] in partial and _read_key(a) not in looked
        )

    def digest(self) -> str:
        """sha256 over every resource (secrets by their digest): the plan's base."""
        document = [
            [address, _sealed_attributes(self.resources[address])]
            for address in sorted(self.resources)
        ]
        payload = json.dumps(document, sort_keys=True, default=_json_default).encode()
        return "sha256:" + hashlib.sha256(payload).hexdigest()


def _read_key(address: str) -> tuple[str, str]:
    provider, _, name = parse_address(address)
    return provider, name


def read_machine(root: Path, scope_addresses: frozenset[str]) -> MachineState:
    from kodos.plan.actual import read_actual
    from kodos.providers import Scope
    from kodos.providers.users import read_groups
    from kodos.system.rootcheck import refuse_other_distribution

    if not root.is_dir():
        raise KodosError(f"--root {root}: no such directory")
    refuse_other_distribution(root)
    record = read_record(root)
    managed = frozenset(record.managed) if record else frozenset()
    scope = scope_addresses | managed
    actual = read_actual(root, Scope(addresses=scope))
    groups = frozenset(read_groups(root))
    return MachineState(str(root), actual.resources, record, groups, tuple(actual.notes), scope)


# ---- facts files ---------------------------------------------------------------------------


class FactResource(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str
    attributes: dict[str, Any]
    sensitive: list[str] = Field(default_factory=list)


class Facts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    format_version: Literal["1"] = "1"
    kodos_version: str
    root: str
    record: GenerationRecord | None
    groups: list[str]
    resources: list[FactResource]
    notes: list[str] = Field(default_factory=list)
    scope: list[str] | None = None
    """What the providers that read only what they are asked were asked for (files, AUR
    packages): a plan from these facts calls anything else of theirs unknown, not absent."""


def facts_of(machine: MachineState) -> Facts:
    resources = [
        FactResource(
            address=address,
            attributes=_sealed_attributes(machine.resources[address]),
            sensitive=sorted(machine.resources[address].sensitive),
        )
        for address in sorted(machine.resources)
    ]
    return Facts(
        kodos_version=__version__,
        root=machine.root,
        record=machine.record,
        groups=sorted(machine.groups),
        resources=resources,
        notes=list(machine.notes),
        scope=sorted(machine.scope) if machine.scope is not None else None,
    )


def machine_from_facts(path: Path) -> MachineState:
    facts = read_model(path, Facts)
    resources = ResourceSet()
    for number, fact in enumerate(facts.resources):
        provider, kind, name = _checked_fact(path, number, fact)
        attributes = {
            key: SealedSecret(value["sealed"]) if key in fact.sensitive else value
            for key, value in fact.attributes.items()
        }
        resource = Resource(provider, kind, name, attributes, frozenset(fact.sensitive))
        if fact.address in resources:
            raise _fact_error(path, number, "address", f"{fact.address} is listed twice")
        resources.add(resource)
    notes = (*facts.notes, f"planned from the facts in {path}, not from the machine")
    scope = _checked_scope(path, facts.scope)
    groups = frozenset(facts.groups)
    return MachineState(f"facts:{path}", resources, facts.record, groups, notes, scope)


def _checked_fact(path: Path, number: int, fact: FactResource) -> tuple[str, str, str]:
    """The fact's provider, kind and name once its address and attributes fit its kind
    (`kodos.plan.factkinds`); `FileFormatError` names the file and field otherwise."""
    from kodos.plan.factkinds import attribute_problems

    try:
        provider, kind, name = parse_address(fact.address)
    except ValueError as err:
        raise _fact_error(path, number, "address", str(err)) from None
    problems = attribute_problems(provider, kind, fact.attributes, fact.sensitive)
    if problems:
        raise FileFormatError(
            [Problem(f"{path}: resources.{number}.{field}", msg) for field, msg in problems]
        )
    return provider, kind, name


def _checked_scope(path: Path, scope: list[str] | None) -> frozenset[str] | None:
    if scope is None:
        return None
    for number, address in enumerate(scope):
        try:
            parse_address(address)
        except ValueError as err:
            raise FileFormatError([Problem(f"{path}: scope.{number}", str(err))]) from None
    return frozenset(scope)


def _fact_error(path: Path, number: int, field: str, message: str) -> FileFormatError:
    return FileFormatError([Problem(f"{path}: resources.{number}.{field}", message)])


def _sealed_attributes(resource: Resource) -> dict[str, Any]:
    return {
        key: {"sealed": _seal(value).digest} if key in resource.sensitive else value
        for key, value in resource.attributes.items()
    }


def _seal(value: Any) -> SealedSecret:
    return value if isinstance(value, SealedSecret) else seal(str(value))


def _json_default(value: Any) -> Any:
    raise TypeError(f"not JSON: {type(value).__name__}")
