"""`kodos generations list|diff|delete|gc|repair`: the machine's history, shown, pruned and
its index rebuilt.

Every command runs in a private mount namespace, so the Btrfs top level it mounts vanishes with
the process however it ends. Deleting asks first: on a terminal the user types `yes`; without
one, `--yes` is required.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

from kodos.commands.confirm import confirm as ask
from kodos.commands.machine import changing, reading
from kodos.generations.diff import GenerationDiff, PackageChangeKind
from kodos.generations.history import GenerationView, delete, diff, gc, list_generations, view
from kodos.text.terminal import inert_lines

_SYMBOL = {
    PackageChangeKind.ADDED: "+",
    PackageChangeKind.REMOVED: "-",
    PackageChangeKind.UPGRADED: "↑",
    PackageChangeKind.DOWNGRADED: "↓",
    PackageChangeKind.REBUILT: "~",
}
_HEADERS = ("GEN", "CREATED", "STATUS", "PACKAGES", "KERNEL", "")
_RIGHT_ALIGNED = {0, 3}  # the numbers


def run_list(root: Path, json_output: bool) -> int:
    with reading(root) as (machine, top):
        views = list_generations(machine, top)
    if json_output:
        print(json.dumps([v.model_dump(mode="json") for v in views], indent=2))
    else:
        print(inert_lines(render_table(views)), end="")  # records are files: kodos.text.terminal
    return 0


def run_diff(root: Path, a: int, b: int, json_output: bool) -> int:
    with reading(root) as (machine, top):
        changes = diff(machine, top, a, b)
    print(changes.model_dump_json(indent=2) if json_output else inert_lines(render_diff(changes)))
    return 0


def run_delete(root: Path, gen_id: int, assume_yes: bool, lock_timeout: float) -> int:
    def confirm(view: GenerationView) -> bool:
        question = f"{render_table([view])}Delete generation {gen_id}?"
        return ask(question, assume_yes, "generations delete")

    with changing(root, lock_timeout) as (machine, top):
        delete(machine, top, gen_id, confirm=confirm)
    print(f"Deleted generation {gen_id}.")
    return 0


def run_gc(root: Path, keep: int, assume_yes: bool, lock_timeout: float) -> int:
    def confirm(views: list[GenerationView]) -> bool:
        question = f"{render_table(views)}Delete these {len(views)} generations?"
        return ask(question, assume_yes, "generations gc")

    with changing(root, lock_timeout) as (machine, top):
        deleted = gc(machine, top, keep, confirm=confirm)
    if deleted:
        print(f"Deleted generation{'s' if len(deleted) > 1 else ''} {_ids(deleted)}.")
    else:
        print("Nothing to delete.")
    return 0


def run_repair(root: Path, lock_timeout: float) -> int:
    from kodos.generations.history import read_history
    from kodos.generations.repair import repair

    with changing(root, lock_timeout) as (machine, top):
        repaired = repair(machine, top)
        history = read_history(machine, top)
        views = [view(history, gen_id) for gen_id in history.index.ids()]
    for note in repaired.notes:
        print(f"note: {note}", file=sys.stderr)
    print(render_table(views), end="")
    listed = _ids(repaired.index.ids()) or "none"
    print(
        f"Rebuilt {repaired.path} (it was {repaired.before}): generations {listed}; "
        f"the next one is numbered {repaired.index.next_id()}. Nothing was deleted."
    )
    return 0


def render_table(views: list[GenerationView]) -> str:
    """A fixed-width table, one generation a line, oldest first."""
    rows = [_HEADERS, *(_row(v) for v in views)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]
    lines = [
        "  ".join(
            cell.rjust(width) if i in _RIGHT_ALIGNED else cell.ljust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in rows
    ]
    return "\n".join(lines) + "\n"


def _row(view: GenerationView) -> tuple[str, ...]:
    marks = [m for m, on in (("running", view.running), ("default", view.default)) if on]
    return (
        str(view.id),
        view.created.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        str(view.status),
        str(view.packages),
        view.kernel or "-",
        ", ".join(marks),
    )


def render_diff(changes: GenerationDiff) -> str:
    lines = [f"generation {changes.a} → {changes.b}"]
    if changes.packages:
        lines.append(f"packages: {_counts(c.change for c in changes.packages)}")
        lines += [
            f"  {_SYMBOL[c.change]} {c.name} {_versions(c.before, c.after)}"
            for c in changes.packages
        ]
    lines += _managed_lines(changes)
    if changes.kernel is not None:
        lines.append(f"kernel: {changes.kernel[0] or '-'} → {changes.kernel[1] or '-'}")
    if changes.config_changed:
        lines.append("configuration: changed")
    if len(lines) == 1:
        lines.append("no differences")
    return "\n".join(lines)


def _managed_lines(changes: GenerationDiff) -> list[str]:
    groups = [("added", "+"), ("removed", "-"), ("changed", "~")]
    listed = [(name, symbol, getattr(changes.managed, name)) for name, symbol in groups]
    counts = [f"{len(addresses)} {name}" for name, _, addresses in listed if addresses]
    if not counts:
        return []
    lines = [f"managed: {', '.join(counts)}"]
    for _, symbol, addresses in listed:
        lines += [f"  {symbol} {address}" for address in addresses]
    return lines


def _versions(before: str | None, after: str | None) -> str:
    if before is None or after is None:
        return before or after or ""
    return f"{before} → {after}"


def _counts(kinds: Iterable[PackageChangeKind]) -> str:
    listed = list(kinds)
    return ", ".join(f"{listed.count(k)} {k}" for k in PackageChangeKind if k in listed)


def _ids(ids: list[int]) -> str:
    return ", ".join(map(str, ids))
