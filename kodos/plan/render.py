"""The human view of a plan, rendered from the same `Plan` data that `--json` prints.

Output is plain text with a fixed layout (no colour, no terminal width), so it is the same in a
terminal, a CI log and a golden test file. Every line is made inert (`kodos.text.terminal`): a
saved plan or facts file may carry escape sequences in its notes, addresses or values.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from kodos.plan.model import Action, Change, Plan, Reason
from kodos.resources import SENSITIVE_PLACEHOLDER
from kodos.text.terminal import inert

LEGEND = "Legend: + create, ~ update in place, - delete, -/+ replace"
_SYMBOL = {Action.CREATE: "+", Action.UPDATE: "~", Action.DELETE: "-", Action.REPLACE: "-/+"}
_INLINE_WIDTH = 60
# A change's reason in words; `{needed_by}` is the change's field of that name.
REASON_WORDS = {
    Reason.REMOVED_OUTSIDE_KODOS: "removed outside kodos",
    Reason.CHANGED_OUTSIDE_KODOS: "changed outside kodos",
    Reason.NO_LONGER_CONFIGURED: "no longer in the configuration",
    Reason.KEPT_AS_DEPENDENCY: "kept: needed by {needed_by}",
}


def render_plan(plan: Plan) -> str:
    lines = [_heading(plan), ""]
    if plan.changes:
        lines += [LEGEND, ""]
        for change in plan.changes:
            lines += _change_lines(change)
        lines.append("")
    if plan.notes:
        lines += [f"note: {note}" for note in plan.notes]
        lines.append("")
    lines.append(_closing(plan))
    return "\n".join(inert(line) for line in lines) + "\n"


def _heading(plan: Plan) -> str:
    base = plan.base
    generation = "no generation yet" if base.generation is None else f"generation {base.generation}"
    return f"Plan for {plan.config.path} against {base.root} ({generation})"


def _closing(plan: Plan) -> str:
    if not plan.changes:
        return "No changes. The system matches the configuration."
    s = plan.summary
    return f"Plan: {s.add} to add, {s.change} to change, {s.destroy} to destroy."


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
    return REASON_WORDS[change.reason].format(needed_by=change.needed_by)


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
