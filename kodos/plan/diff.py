"""The diff engine: desired and actual resources in, ordered changes out.

The rules (Terraform's, see docs/resources.md):
* desired and absent → create; desired and present with other values → update (or replace,
  for the attributes a kind cannot change in place);
* present, not desired → delete, but only if kodos manages it (the current generation's
  record lists it): unmanaged things on the machine are left alone;
* a managed package the configuration drops that another installed package still needs
  (`kept`: name → who needs it, see kodos/plan/removals.py) is not deleted — pacman would
  refuse — but leaves the managed set as a dependency: a reason update when it was explicit,
  nothing when it already is a dependency;
* only the attributes a desired resource carries are compared, strictly: a value of another
  type differs (1 and 1.0, a list and a tuple), containers element by element;
* an update says where it comes from (`Reason`): `changed_outside_kodos` only when the machine
  differs from what the last generation recorded (`recorded`: its desired state by address,
  secrets by digest), `configuration_changed` when the machine is as kodos left it, `adopted`
  for something kodos did not manage yet;
* some kinds are deleted only when kodos made them (`DELETED_ONLY_WHEN`): a pacman.conf
  section the machine had before kodos managed it stays when the configuration drops it, and
  so does the mirror list pacman's remaining sections may still include; so does a Flatpak
  remote kodos did not add.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from kodos.plan.model import Action, Change, Reason
from kodos.resources import SENSITIVE_PLACEHOLDER, Resource, sort_key
from kodos.secrets import PlainPassword, SealedSecret

# Attributes a kind cannot change in place: a Flatpak app from another remote is reinstalled.
REPLACE_ON: Mapping[tuple[str, str], frozenset[str]] = {
    ("flatpak", "app"): frozenset({"remote"}),
}
# Attributes that only shape a new resource: an existing account keeps its home directory
# (moving a system user's home to /home/NAME because a config names it would break it).
CREATE_ONLY: Mapping[tuple[str, str], frozenset[str]] = {
    ("users", "user"): frozenset({"home"}),
}

# Kinds deleted only when the actual resource carries this attribute value (kodos made it);
# otherwise dropping them from the configuration only ends kodos's management. None: never.
DELETED_ONLY_WHEN: Mapping[tuple[str, str], tuple[str, str] | None] = {
    ("pacman", "repository"): ("added_by", "kodos"),
    ("pacman", "mirrorlist"): None,
    ("flatpak", "remote"): ("added_by", "kodos"),
}


def diff(
    desired: Mapping[str, Resource],
    actual: Mapping[str, Resource],
    managed: frozenset[str],
    kept: Mapping[str, str] | None = None,
    recorded: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Change]:
    changes = []
    recorded = recorded or {}
    for address, want in desired.items():
        have = actual.get(address)
        if have is None:
            reason = Reason.REMOVED_OUTSIDE_KODOS if address in managed else None
            changes.append(_change(Action.CREATE, want, None, want.attributes, [], reason))
            continue
        changed = _changed_attributes(want, have)
        if changed:
            reason = _update_reason(have, changed, address in managed, recorded.get(address))
            changes.append(_update(want, have, changed, reason))
    still_installed = _installed_package_names(desired)
    kept = kept or {}
    for address in sorted(managed - desired.keys()):
        have = actual.get(address)
        if have is None or _moved_between_sources(have, still_installed):
            continue
        if not _deletable(have):
            continue
        if (have.provider, have.kind) in _PACKAGE_KINDS and have.name in kept:
            changes += _kept_as_dependency(have, kept[have.name])
            continue
        reason = Reason.NO_LONGER_CONFIGURED
        changes.append(_change(Action.DELETE, have, have.attributes, None, [], reason))
    return sorted(changes, key=lambda change: sort_key(change.address))


# One installed package answers to both addresses: a package built from the AUR is also in
# pacman's local database. Moving `aur:foo` to `foo` (or back) must not remove it.
_PACKAGE_KINDS = frozenset({("pacman", "package"), ("aur", "package")})


def _deletable(resource: Resource) -> bool:
    kind = (resource.provider, resource.kind)
    if kind not in DELETED_ONLY_WHEN:
        return True
    mark = DELETED_ONLY_WHEN[kind]
    return mark is not None and resource.attributes.get(mark[0]) == mark[1]


def _installed_package_names(desired: Mapping[str, Resource]) -> frozenset[str]:
    return frozenset(r.name for r in desired.values() if (r.provider, r.kind) in _PACKAGE_KINDS)


def _moved_between_sources(resource: Resource, desired_packages: frozenset[str]) -> bool:
    return (resource.provider, resource.kind) in _PACKAGE_KINDS and (
        resource.name in desired_packages
    )


def _kept_as_dependency(have: Resource, needed_by: str) -> list[Change]:
    """A dropped package another one needs: it stays, installed as a dependency."""
    if have.attributes.get("reason") == _DEPENDENCY:
        return []
    after = {**have.attributes, "reason": _DEPENDENCY}
    reason = Reason.KEPT_AS_DEPENDENCY
    return [_change(Action.UPDATE, have, have.attributes, after, ["reason"], reason, needed_by)]


_DEPENDENCY = "dependency"  # pacman's install reason, as `providers.pacman` reads it


def _changed_attributes(want: Resource, have: Resource) -> list[str]:
    create_only = CREATE_ONLY.get((want.provider, want.kind), frozenset())
    wanted = {k: v for k, v in want.attributes.items() if k not in create_only}
    current = {key: have.attributes.get(key) for key in wanted}
    # Secrets compare by meaning, not by value: a plain-text password matches the hash it
    # produces; a sealed digest matches the hash it was made from.
    for key, value in wanted.items():
        if same_value(value, current[key]):
            wanted[key] = current[key]
    if wanted == current:
        return []
    return sorted(key for key, value in wanted.items() if differs(current[key], value))


def differs(before: Any, after: Any) -> bool:
    """Do two attribute values (JSON-like: scalars, lists, tuples, dicts, sets) differ? Strictly:
    `==` alone calls 1 and 1.0, or True and 1, equal, yet the plan shows both values, so a change
    of type is a change."""
    if type(before) is not type(after):
        return True
    if isinstance(before, dict):
        return before.keys() != after.keys() or any(differs(before[k], after[k]) for k in before)
    if isinstance(before, list | tuple):
        return len(before) != len(after) or any(map(differs, before, after))
    return bool(before != after)


def same_value(desired: Any, actual: Any) -> bool:
    if isinstance(desired, PlainPassword):
        return isinstance(actual, str) and desired.matches(actual)
    if isinstance(actual, SealedSecret):
        return isinstance(desired, str) and actual.matches(desired)
    return bool(desired == actual)


def _update(want: Resource, have: Resource, changed: list[str], reason: Reason) -> Change:
    after = {**have.attributes, **{key: want.attributes[key] for key in changed}}
    replace_on = REPLACE_ON.get((want.provider, want.kind), frozenset())
    action = Action.REPLACE if replace_on.intersection(changed) else Action.UPDATE
    return _change(action, want, have.attributes, after, changed, reason)


def _update_reason(
    have: Resource, changed: list[str], managed: bool, recorded: Mapping[str, Any] | None
) -> Reason:
    """Drift only when a changed attribute is not what the last generation recorded; an
    attribute the record does not hold (an older record, a redacted secret) is no evidence."""
    if not managed:
        return Reason.ADOPTED
    known = {key: recorded[key] for key in changed if key in recorded} if recorded else {}
    if any(not recorded_matches(value, have.attributes.get(key)) for key, value in known.items()):
        return Reason.CHANGED_OUTSIDE_KODOS
    return Reason.CONFIGURATION_CHANGED


def recorded_matches(recorded: Any, actual: Any) -> bool:
    """Whether the machine's value is the one a generation record holds: a sensitive one is
    recorded as `{"sealed": digest}` (and read from facts as a `SealedSecret`); the redacted
    placeholder of older records says nothing, so it matches."""
    if recorded == SENSITIVE_PLACEHOLDER:
        return True
    if isinstance(recorded, Mapping) and set(recorded) == {"sealed"}:
        sealed = SealedSecret(str(recorded["sealed"]))
        if isinstance(actual, SealedSecret):
            return actual == sealed
        return isinstance(actual, str) and sealed.matches(actual)
    return bool(recorded == actual)


def _change(
    action: Action,
    resource: Resource,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    changed: list[str],
    reason: Reason | None,
    needed_by: str | None = None,
) -> Change:
    sensitive = resource.sensitive
    return Change(
        address=resource.address,
        provider=resource.provider,
        kind=resource.kind,
        name=resource.name,
        action=action,
        before=_redact(before, sensitive),
        after=_redact(after, sensitive),
        changed=changed,
        sensitive=sorted(sensitive),
        source=resource.source,
        reason=reason,
        needed_by=needed_by,
    )


def _redact(
    attributes: Mapping[str, Any] | None, sensitive: frozenset[str]
) -> dict[str, Any] | None:
    if attributes is None:
        return None
    return {
        key: SENSITIVE_PLACEHOLDER if key in sensitive else value
        for key, value in sorted(attributes.items())
    }
