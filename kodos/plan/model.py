"""The plan: what `kodos apply` would change, in the form saved to files and printed as JSON.

Like Terraform's plan, it records what it was computed against (the base: which generation and
a digest of the machine's state; and the configuration's digest), so a saved plan that no longer
matches the machine is refused instead of applied to something else. The human text view is
rendered from this same data (`kodos.plan.render`), so the two cannot disagree.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

FORMAT_VERSION: Literal["2"] = "2"
"""Version 2 made `Change.reason` a `Reason` instead of words; version 1 plans are refused."""


class Action(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    REPLACE = "replace"


class Reason(StrEnum):
    """Why a change is in the plan when its action alone does not say (Terraform's
    `ActionReason`). For people only: apply never decides anything by it. The words a person
    reads are the renderer's (`kodos.plan.render`); the plan keeps only the value.

    | reason                | action          | means                                          |
    | --------------------- | --------------- | ---------------------------------------------- |
    | removed_outside_kodos | create          | kodos manages it; something else removed it    |
    | changed_outside_kodos | update, replace | kodos manages it; the machine differs from     |
    |                       |                 | what the last generation recorded              |
    | configuration_changed | update, replace | kodos manages it; the machine is as the last   |
    |                       |                 | generation left it, the configuration changed  |
    | adopted               | update          | on the machine before kodos managed it; kodos  |
    |                       |                 | manages it from now on (and may remove it)     |
    | no_longer_configured  | delete          | kodos manages it; the configuration dropped it |
    | kept_as_dependency    | update          | dropped, but `needed_by` still needs it: it    |
    |                       |                 | stays, installed as a dependency               |
    | pulled_in             | create          | a package pacman installs as a dependency of   |
    |                       |                 | `dependency_of`, which the plan installs       |
    | taken_along           | delete          | a dependency `pacman -Rs` removes with         |
    |                       |                 | `dependency_of`: nothing else needs it         |
    """

    REMOVED_OUTSIDE_KODOS = "removed_outside_kodos"
    CHANGED_OUTSIDE_KODOS = "changed_outside_kodos"
    CONFIGURATION_CHANGED = "configuration_changed"
    ADOPTED = "adopted"
    NO_LONGER_CONFIGURED = "no_longer_configured"
    KEPT_AS_DEPENDENCY = "kept_as_dependency"
    PULLED_IN = "pulled_in"
    TAKEN_ALONG = "taken_along"


DEPENDENCY_REASONS = frozenset({Reason.PULLED_IN, Reason.TAKEN_ALONG})
"""The reasons of changes pacman makes by itself, which carry `dependency_of`."""


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
    reason: Reason | None = Field(
        None,
        description="Why, when the action does not say (drift, no longer configured). "
        "For people only, never for apply decisions.",
    )
    needed_by: str | None = Field(
        None, description="With reason kept_as_dependency: the installed package that needs it."
    )
    dependency_of: str | None = Field(
        None,
        description="With reason pulled_in or taken_along: the package whose dependency it "
        "is. Such a package is never named to pacman: its own resolution installs or removes "
        "it, as the plan predicted (pulled-in packages stay installed as dependencies).",
    )

    @model_validator(mode="after")
    def _details_only_with_their_reason(self) -> Change:
        if (self.reason == Reason.KEPT_AS_DEPENDENCY) != (self.needed_by is not None):
            raise ValueError("needed_by is given when, and only when, reason is kept_as_dependency")
        if (self.reason in DEPENDENCY_REASONS) != (self.dependency_of is not None):
            raise ValueError(
                "dependency_of is given when, and only when, reason is pulled_in or taken_along"
            )
        return self

    @model_serializer(mode="wrap")
    def _details_only_when_given(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # As Terraform's JSON leaves out an empty action_reason: the reasons with a detail
        # do not put a null into every other change.
        data: dict[str, Any] = handler(self)
        for detail in ("needed_by", "dependency_of"):
            if getattr(self, detail) is None:
                data.pop(detail, None)
        return data

    @property
    def named_to_pacman(self) -> bool:
        """Whether apply names this package to pacman (not one pacman resolves by itself)."""
        return self.dependency_of is None


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
    download_size: int | None = Field(
        None,
        description="Bytes pacman downloads: the packages to install that are not in the "
        "pacman cache, as the sync databases give their sizes. None without sync databases.",
    )
    installed_size: int | None = Field(
        None,
        description="Bytes the packages to install take once installed (the sync databases' "
        "sizes). None without sync databases.",
    )


class FollowUp(_Record):
    """Something apply does beyond the changes, because of them (for people: apply finds
    its follow-ups from the changes itself)."""

    action: str = Field(description="What runs or happens, in words: `mkinitcpio -P`.")
    because: list[str] = Field(description="The addresses of the changes that call for it.")


class AurBuild(_Record):
    """One AUR package base: the commit apply builds it at (kodos/plan/aur.py says which).

    Apply builds exactly this commit (a saved plan pins it) or, with `commit` None (the AUR
    could not be consulted), refuses to build the base at all.
    """

    pkgbase: str
    packages: list[str] = Field(
        description="The configured packages it builds; empty for a base other AUR bases "
        "need (pacman installs what it offers as dependencies)."
    )
    commit: str | None = Field(description="The git commit apply builds; None: unknown.")
    version: str | None = Field(description="`[epoch:]pkgver-pkgrel` at that commit.")
    locked: str | None = Field(
        description="The commit the current generation's record locks; None: a new base."
    )
    changed_files: list[str] = Field(
        default_factory=list,
        description="When `commit` moves from `locked`: the files that changed in between "
        "(`kodos aur diff NAME` prints the whole diff).",
    )

    @property
    def moves(self) -> bool:
        return self.locked is not None and self.commit is not None and self.commit != self.locked


class Plan(_Record):
    format_version: Literal["2"] = FORMAT_VERSION
    kodos_version: str
    base: Base
    config: ConfigRef
    changes: list[Change]
    summary: Summary
    notes: list[str] = Field(
        default_factory=list, description="What could not be read or checked, in words."
    )
    follow_ups: list[FollowUp] = Field(
        default_factory=list,
        description="What apply runs or does besides the changes (locale-gen, mkinitcpio -P, "
        "restoring packaged files, the new generation's kernel copied to the ESP).",
    )
    reboot_required: bool = Field(
        False,
        description="Whether the change takes effect only once the machine boots the new "
        "generation (every non-empty plan today: apply builds a new generation).",
    )
    aur: list[AurBuild] = Field(
        default_factory=list,
        description="Every AUR package base the configuration asks for, with the commit apply "
        "builds: the locked one, the AUR's current one for a new base (and for every base "
        "with --upgrade), or the one a saved plan pins.",
    )
    adopted: list[str] = Field(
        default_factory=list,
        description="Addresses already on the machine that kodos did not manage and the "
        "configuration now declares: kodos manages them from now on, so it may remove them "
        "when the configuration drops them.",
    )

    scope: Literal["system", "home"] = Field(
        "system",
        description="What the plan changes: the machine (`kodos plan`), or a user's home "
        "(`kodos user plan`: base.root is the home, base.generation its home generation).",
    )
    collisions: list[str] = Field(
        default_factory=list,
        description="Home plans: addresses where something kodos did not place is in the "
        "way. Apply refuses them, changing nothing, unless --backup moves them aside.",
    )

    @model_serializer(mode="wrap")
    def _home_fields_only_for_homes(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # A system plan's JSON stays as it was before home plans existed.
        data: dict[str, Any] = handler(self)
        if self.scope == "system":
            data.pop("scope", None)
            data.pop("collisions", None)
        return data

    @property
    def is_empty(self) -> bool:
        return not self.changes


def summarize(
    changes: list[Change], download_size: int | None = None, installed_size: int | None = None
) -> Summary:
    """Counted as Terraform does: a replace is one add and one destroy."""
    add = sum(c.action in (Action.CREATE, Action.REPLACE) for c in changes)
    change = sum(c.action == Action.UPDATE for c in changes)
    destroy = sum(c.action in (Action.DELETE, Action.REPLACE) for c in changes)
    return Summary(
        add=add,
        change=change,
        destroy=destroy,
        download_size=download_size,
        installed_size=installed_size,
    )
