"""The human view of a plan, rendered from the same `Plan` data that `--json` prints.

Output is plain text with a fixed layout (no colour, no terminal width), so it is the same in a
terminal, a CI log and a golden test file. Every line is made inert (`kodos.text.terminal`): a
saved plan or facts file may carry escape sequences in its notes, addresses or values.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from kodos.plan.model import Action, AurBuild, Change, Plan, Reason
from kodos.resources import SENSITIVE_PLACEHOLDER
from kodos.text.terminal import inert

LEGEND = "Legend: + create, ~ update in place, - delete, -/+ replace"
_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.REPLACE: "-/+"}
_INLINE_WIDTH = 60
# A change's reason in words; `{needed_by}` and `{dependency_of}` are the change's fields.
REASON_WORDS = {
    Reason.REMOVED_OUTSIDE_KODOS: "removed outside kodos",
    Reason.CHANGED_OUTSIDE_KODOS: "changed outside kodos",
    Reason.CONFIGURATION_CHANGED: "the configuration changed",
    Reason.ADOPTED: "here before kodos; kodos manages it from now on",
    Reason.NO_LONGER_CONFIGURED: "no longer in the configuration",
    Reason.KEPT_AS_DEPENDENCY: "kept: needed by {needed_by}",
    Reason.PULLED_IN: "dependency of {dependency_of}",
    Reason.TAKEN_ALONG: "dependency of {dependency_of}, removed with it",
}
FOLLOW_UPS_HEADING = "Apply also does, in the new generation:"
ADOPTED_WORDS = (
    "Here before kodos, managed by kodos from now on (it may remove them once the "
    "configuration drops them): "
)
COLLISIONS_WORDS = (
    "In the way, not placed by kodos (apply refuses and changes nothing; --backup SUFFIX "
    "moves them aside): "
)
AUR_HEADING = "AUR package bases (commit apply builds; kodos aur diff NAME shows a move):"
REBOOT_LINE = "Takes effect when the machine boots the new generation (reboot needed)."


def render_plan(plan: Plan) -> str:
    lines = [_heading(plan), ""]
    if plan.changes:
        lines += [LEGEND, ""]
        for change in plan.changes:
            lines += _change_lines(change)
        lines.append("")
    if plan.follow_ups:
        lines.append(FOLLOW_UPS_HEADING)
        lines += [_follow_up_line(f.action, f.because) for f in plan.follow_ups]
        lines.append("")
    if plan.aur:
        lines.append(AUR_HEADING)
        lines += [line for build in plan.aur for line in _aur_lines(build)]
        lines.append("")
    if plan.adopted:
        lines += [ADOPTED_WORDS + ", ".join(plan.adopted), ""]
    if plan.collisions:
        lines += [COLLISIONS_WORDS + ", ".join(plan.collisions), ""]
    if plan.notes:
        lines += [f"note: {note}" for note in plan.notes]
        lines.append("")
    lines += _closing(plan)
    return "\n".join(inert(line) for line in lines) + "\n"


def _aur_lines(build: AurBuild) -> list[str]:
    """`  yay-bin (yay-bin): 1a2b3c4d5e6f 12.4.2-1, locked` and, when it moves, the files."""
    packages = ", ".join(build.packages) or "needed by AUR packages"
    if build.commit is None:
        return [f"  {build.pkgbase} ({packages}): commit unknown (see the notes)"]
    where = f"{build.commit[:12]} {build.version}"
    if build.locked is None:
        return [f"  {build.pkgbase} ({packages}): {where}, new"]
    if not build.moves:
        return [f"  {build.pkgbase} ({packages}): {where}, locked"]
    lines = [f"  {build.pkgbase} ({packages}): {build.locked[:12]} -> {where}, changed:"]
    return lines + [f"      {path}" for path in build.changed_files]


def _follow_up_line(action: str, because: list[str]) -> str:
    return f"  {action}  (for {', '.join(because)})" if because else f"  {action}"


def _heading(plan: Plan) -> str:
    base = plan.base
    kind = "home generation" if plan.scope == "home" else "generation"
    generation = f"no {kind} yet" if base.generation is None else f"{kind} {base.generation}"
    return f"Plan for {plan.config.path} against {base.root} ({generation})"


def _closing(plan: Plan) -> list[str]:
    if not plan.changes:
        what = "The home" if plan.scope == "home" else "The system"
        return [f"No changes. {what} matches the configuration."]
    s = plan.summary
    lines = []
    if s.download_size is not None and s.installed_size is not None and s.installed_size:
        lines.append(
            f"Download: {human_size(s.download_size)}; "
            f"installed size: {human_size(s.installed_size)}."
        )
    if plan.reboot_required:
        lines.append(REBOOT_LINE)
    # The count comes last, as in Terraform: scripts and people look for it there.
    return [*lines, f"Plan: {s.add} to add, {s.change} to change, {s.destroy} to destroy."]


def human_size(size: int) -> str:
    """Bytes as pacman prints them: binary units, two decimals."""
    if size < 1024:
        return f"{size} B"
    value = size / 1024
    for unit in ("KiB", "MiB"):
        if value < 1024:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} GiB"


def _change_lines(change: Change) -> list[str]:
    head = f"{_SYMBOL[change.action]} {change.address}"
    notes = [text for text in (_why(change), _from(change.source)) if text]
    if notes:
        head = f"{head}  ({'; '.join(notes)})"
    body = _body(change)
    inline = _inline(body)
    if inline is not None:
        return [f"  {head}  {inline}".rstrip()]
    return [f"  {head}", *(f"      {line}" for line in _block(body))]


def _why(change: Change) -> str | None:
    if change.reason is None:
        return None
    words = REASON_WORDS[change.reason]
    return words.format(needed_by=change.needed_by, dependency_of=change.dependency_of)


def _from(source: str | None) -> str | None:
    return f"from {source}" if source else None


def _body(change: Change) -> list[tuple[str, Any, Any]]:
    """(attribute, before, after) to show: every attribute for create/delete, the changed ones
    for update/replace."""
    if change.action == Action.CREATE:
        return [(key, None, value) for key, value in (change.after or {}).items()]
    if change.action == Action.DELETE:
        return [(key, value, None) for key, value in (change.before or {}).items()]
    before, after = change.before or {}, change.after or {}
    return [(key, before.get(key), after.get(key)) for key in change.changed]


def _inline(body: list[tuple[str, Any, Any]]) -> str | None:
    """Short scalar-only bodies fit on the resource's own line."""
    parts = []
    for key, before, after in body:
        if any(isinstance(v, str) and "\n" in v for v in (before, after)):
            return None
        parts.append(f"{key}={_value(after if after is not None else before)}")
    text = " ".join(parts)
    single_sided = all(before is None or after is None for _, before, after in body)
    return text if single_sided and len(text) <= _INLINE_WIDTH else None


def _block(body: list[tuple[str, Any, Any]]) -> list[str]:
    lines = []
    for key, before, after in body:
        if _multiline(before) or _multiline(after):
            lines.append(f"{key}:")
            lines += [f"  {line}" for line in _text_diff(before, after)]
        elif before is None or after is None:
            lines.append(f"{key}: {_value(after if after is not None else before)}")
        elif before == SENSITIVE_PLACEHOLDER:
            lines.append(f"{key}: (sensitive, changes)")
        else:
            lines.append(f"{key}: {_value(before)} -> {_value(after)}")
    return lines


def _multiline(value: Any) -> bool:
    return isinstance(value, str) and "\n" in value


def _text_diff(before: Any, after: Any) -> list[str]:
    old = before.splitlines() if isinstance(before, str) else []
    new = after.splitlines() if isinstance(after, str) else []
    if not old or not new:
        sign = "+" if new else "-"
        return [f"{sign} {line}".rstrip() for line in (new or old)]
    diff = difflib.unified_diff(old, new, lineterm="", n=1)
    return [line.rstrip() for line in list(diff)[2:]]


def _value(value: Any) -> str:
    if value == SENSITIVE_PLACEHOLDER:
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
