"""The home as it is against the entries a generation wants there: changes and collisions.

Rules (the same for a plan, an apply and a rollback):

| what is at the path                      | wanted there     | result                       |
| ---------------------------------------- | ---------------- | ---------------------------- |
| nothing                                  | yes              | create                       |
| exactly the wanted file or link          | yes              | nothing (adopted if unowned) |
| what kodos placed (as its manifest says) | yes, differently | update (replace: other kind) |
| anything else                            | yes              | a collision: apply refuses   |
|                                          |                  | unless `--backup` moves it   |
| what kodos placed                        | no longer        | delete                       |
| what kodos placed, changed since         | no longer        | left alone, said in a note   |

"What kodos placed" is an entry of the active generation's manifest, or of a newer one whose
activation stopped half-way (a crash between placing and switching `current`), and only
while the path holds exactly that entry's file or link: a file kodos placed and the user
then edited is the user's again — never overwritten, never removed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kodos.home.desired import Desired
from kodos.home.homefs import SHOWN_BYTES, Found, Home, shown
from kodos.home.manifest import Entry
from kodos.plan.model import Action, Change, Reason

LinkTarget = Callable[[str], str]
"""A manifest's link target → the one placed (`Store.link_target`)."""


@dataclass(frozen=True, slots=True)
class Placement:
    """A path activation writes: the desired entry, what is there now, and whether that is
    in the way (a collision)."""

    desired: Desired
    found: Found | None
    collision: bool


@dataclass
class Comparison:
    changes: list[Change] = field(default_factory=list)
    placements: list[Placement] = field(default_factory=list)
    removals: list[Entry] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    observed: dict[str, Any] = field(default_factory=dict)

    @property
    def collisions(self) -> list[Placement]:
        return [placement for placement in self.placements if placement.collision]

    def digest(self) -> str:
        """sha256 of everything read in the home: a saved plan is stale once it moves."""
        text = json.dumps(self.observed, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def compare(
    home: Home,
    wanted: list[Desired],
    owned: list[dict[str, Entry]],
    link_target: LinkTarget,
) -> Comparison:
    """`owned`: the active generation's entries by path, then any newer unfinished one's.
    `link_target` turns a manifest's link target into the one placed (`Store.link_target`)."""
    result = Comparison()
    wanted_paths = {desired.entry.path for desired in wanted}
    leaving = _links_leaving(owned, wanted_paths)
    for desired in wanted:
        entry = desired.entry
        # Below a link this activation removes (kodos placed it: a folded dotfile directory),
        # nothing is there once it is gone; the link itself is never followed.
        below_leaving = any(entry.path.startswith(link + "/") for link in leaving)
        found = None if below_leaving else home.find(entry.path)
        result.observed[entry.path] = _observed(found)
        if _holds(found, entry, link_target):
            # Exactly what is wanted; a change only when the active generation does not
            # record it so (the file was made so by hand): the next generation does.
            if not owned or owned[0].get(entry.path) != entry:
                result.adopted.append(entry.address)
                result.changes.append(
                    _change(desired, found, Action.UPDATE, Reason.ADOPTED, link_target)
                )
            continue
        mine = _owner(found, entry.path, owned, link_target)
        if found is None:
            reason = Reason.REMOVED_OUTSIDE_KODOS if owned and entry.path in owned[0] else None
            result.changes.append(_change(desired, None, Action.CREATE, reason, link_target))
        elif mine is not None:
            action = Action.UPDATE if found.kind == entry.kind else Action.REPLACE
            result.changes.append(
                _change(desired, found, action, Reason.CONFIGURATION_CHANGED, link_target)
            )
        else:
            action = Action.UPDATE if found.kind == entry.kind else Action.REPLACE
            reason = Reason.CHANGED_OUTSIDE_KODOS if owned and entry.path in owned[0] else None
            result.changes.append(_change(desired, found, action, reason, link_target))
        result.placements.append(Placement(desired, found, mine is None and found is not None))
    for entry in owned[0].values() if owned else ():
        if entry.path in wanted_paths:
            continue
        found = home.find(entry.path)
        result.observed[entry.path] = _observed(found)
        if found is None:
            continue
        if _holds(found, entry, link_target):
            result.removals.append(entry)
            result.changes.append(_removal(entry, found))
        else:
            result.notes.append(
                f"{shown(entry.path)} changed since kodos placed it: left as it is, no longer "
                "managed"
            )
    return result


def _links_leaving(owned: list[dict[str, Entry]], wanted_paths: set[str]) -> list[str]:
    """The links the active generation placed that the new one drops."""
    current = owned[0] if owned else {}
    return [p for p, e in current.items() if e.kind == "link" and p not in wanted_paths]


def _holds(found: Found | None, entry: Entry, link_target: LinkTarget) -> bool:
    """Whether the path holds exactly the entry's file (content and mode) or link."""
    if found is None or found.kind != entry.kind:
        return False
    if entry.kind == "link":
        return found.target == link_target(entry.target or "")
    return found.sha256 == entry.sha256 and found.mode == entry.mode


def _owner(
    found: Found | None, path: str, owned: list[dict[str, Entry]], link_target: LinkTarget
) -> Entry | None:
    for generation in owned:
        entry = generation.get(path)
        if entry is not None and _holds(found, entry, link_target):
            return entry
    return None


def _observed(found: Found | None) -> Any:
    if found is None:
        return None
    return [found.kind, found.sha256, found.mode, found.target, found.other]


def _change(
    desired: Desired,
    found: Found | None,
    action: Action,
    reason: Reason | None,
    link_target: LinkTarget,
) -> Change:
    entry = desired.entry
    after = entry_attributes(entry, desired.content, link_target)
    before = found_attributes(found) if found is not None else None
    return home_change(entry.address, action, before, after, reason, entry.source)


def _removal(entry: Entry, found: Found) -> Change:
    before = found_attributes(found)
    return home_change(entry.address, Action.DELETE, before, None, Reason.NO_LONGER_CONFIGURED,
                       entry.source)  # fmt: skip


def home_change(
    address: str,
    action: Action,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: Reason | None = None,
    source: str | None = None,
) -> Change:
    """A change of a home plan; `changed` lists the attributes that differ when there are
    both sides."""
    kind, _, rest = address.partition("[")
    changed = []
    if before is not None and after is not None:
        changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    return Change(
        address=address,
        provider="home",
        kind=kind.removeprefix("home."),
        name=rest.removesuffix("]"),
        action=action,
        before=before,
        after=after,
        changed=changed,
        source=source,
        reason=reason,
    )


def entry_attributes(
    entry: Entry, content: bytes | None, link_target: LinkTarget
) -> dict[str, Any]:
    if entry.kind == "link":
        return {"target": link_target(entry.target or "")}
    return _file_attributes(entry.sha256, entry.mode, content)


def found_attributes(found: Found) -> dict[str, Any]:
    if found.kind == "link":
        return {"target": found.target}
    if found.kind == "other":
        return {"kind": found.other}
    return _file_attributes(found.sha256, found.mode, found.content)


def _file_attributes(sha256: str | None, mode: int | None, content: bytes | None) -> dict[str, Any]:
    """A file's digest and mode, and its text when it is short UTF-8 (for the plan's diff)."""
    attributes: dict[str, Any] = {"sha256": sha256, "mode": f"{mode or 0:04o}"}
    if content is not None and len(content) <= SHOWN_BYTES:
        with contextlib.suppress(UnicodeDecodeError):
            attributes["content"] = content.decode("utf-8")
    return attributes
