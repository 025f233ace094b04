"""The plan: what `kodos apply` would change, in the form saved to files and printed as JSON.

Like Terraform's plan, it records what it was computed against (the base: which generation and
a digest of the machine's state; and the configuration's digest), so a saved plan that no longer
matches the machine is refused instead of applied to something else. The human text view is
rendered from this same data (`kodos.plan.render`), so the two cannot disagree.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

FORMAT_VERSION: Literal["1"] = "1"


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Change(_Record):
    """One resource to change.

    | action  | before                        | after                               |
    | ------- | ----------------------------- | ----------------------------------- |
    | create  | None                          | the desired attributes              |
    | update  | the actual attributes         | the actual ones with desired values |
    | replace | the actual attributes         | the desired attributes              |
    | delete  | the actual attributes         | None                                |

    Sensitive attribute values never appear: they read "(sensitive)" on both sides.
    """

    address: str
    provider: str
    kind: str
    name: str
    action: Action
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    changed: list[str] = Field(
        default_factory=list, description="Attributes that differ (update and replace)."
    )
    sensitive: list[str] = Field(default_factory=list)
    source: str | None = Field(
        None, description="The configuration path that asked for it. For people, not for apply."
    )
    reason: str | None = Field(
        None, description="Why, in words (drift, no longer configured). For people only."
    )


class Base(_Record):
    """What the plan was computed against."""

    root: str
    generation: int | None = Field(description="The default generation; None before the first.")
    state_digest: str = Field(description="sha256 of the actual state the plan was diffed with.")
    sync_digest: str | None = Field(
        None,
        description="sha256 of what the sync databases the plan read offer (names, versions, "
        "dependencies); None when it read none. A saved plan whose databases moved is stale: "
        "pacman would install other versions than the plan was made with.",
    )


class ConfigRef(_Record):
    path: str
    digest: str


class Summary(_Record):
    add: int
    change: int
    destroy: int


class Plan(_Record):
    format_version: Literal["1"] = FORMAT_VERSION
    kodos_version: str
    base: Base
    config: ConfigRef
    changes: list[Change]
    summary: Summary
    notes: list[str] = Field(
        default_factory=list, description="What could not be read or checked, in words."
    )

    @property
    def is_empty(self) -> bool:
        return not self.changes


def summarize(changes: list[Change]) -> Summary:
    """Counted as Terraform does: a replace is one add and one destroy."""
    add = sum(c.action in (Action.CREATE, Action.REPLACE) for c in changes)
    change = sum(c.action == Action.UPDATE for c in changes)
    destroy = sum(c.action in (Action.DELETE, Action.REPLACE) for c in changes)
    return Summary(add=add, change=change, destroy=destroy)
