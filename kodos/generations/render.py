"""Generations as people read them: the `generations list` table, a diff, one generation.

Rendered from the same models `--json` prints (`GenerationView`, `GenerationDiff`,
`GenerationDetails`), so the text and the JSON cannot disagree. Values read from records are
the caller's to make inert for a terminal (`kodos.text.terminal`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from kodos.generations.configdiff import SettingChange, SettingChangeKind, settings, shown_value
from kodos.generations.details import GenerationDetails
from kodos.generations.diff import GenerationDiff, PackageChangeKind
from kodos.generations.history import GenerationView
from kodos.state.generation import Status
from kodos.text.location import config_path

_SYMBOL = {
    PackageChangeKind.ADDED: "+",
    PackageChangeKind.REMOVED: "-",
    PackageChangeKind.UPGRADED: "↑",
    PackageChangeKind.DOWNGRADED: "↓",
    PackageChangeKind.REBUILT: "~",
}
_HEADERS = ("GEN", "CREATED", "STATUS", "PACKAGES", "KERNEL", "ROLE")
_RIGHT_ALIGNED = {0, 3}  # the numbers


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


def _marks(view: GenerationView) -> list[str]:
    """Its roles, and how its boot entry fares under boot counting (docs/generations.md)."""
    boot = {"trial": "on trial", "bad": "failed to boot"}.get(str(view.boot), "")
    flags = (("running", view.running), ("default", view.default), (boot, bool(boot)))
    return [mark for mark, on in flags if on]


def _row(view: GenerationView) -> tuple[str, ...]:
    marks = _marks(view)
    return (
        str(view.id),
        view.created.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
        str(view.status),
        str(view.packages),
        view.kernel or "-",
        ", ".join(marks),
    )


def render_diff(changes: GenerationDiff) -> str:
    lines = [_diff_heading(changes)]
    if changes.packages:
        lines.append(f"packages: {_counts(c.change for c in changes.packages)}")
        lines += [
            f"  {_SYMBOL[c.change]} {c.name} {_versions(c.before, c.after)}"
            for c in changes.packages
        ]
    lines += _managed_lines(changes)
    if changes.kernel is not None:
        lines.append(f"kernel: {changes.kernel[0] or '-'} → {changes.kernel[1] or '-'}")
    lines += _configuration_lines(changes)
    if len(lines) == 1:
        lines.append("no differences")
    return "\n".join(lines)


def _diff_heading(changes: GenerationDiff) -> str:
    heading = f"generation {changes.a} → {changes.b}"
    unready = [
        f"generation {gen_id} {_STATUS_WORDS.get(status, f'is {status}')}"
        for gen_id, status in zip((changes.a, changes.b), changes.status, strict=True)
        if status is not Status.READY
    ]
    return f"{heading} ({'; '.join(unready)})" if unready else heading


_STATUS_WORDS = {
    Status.FAILED: "failed: its build did not finish, it never booted",
    Status.BUILDING: "is still being built (or its build was interrupted)",
}


def _configuration_lines(changes: GenerationDiff) -> list[str]:
    differing = changes.configuration
    if differing is None:
        if not changes.config_changed:
            return []
        if len(changes.not_kept) == 1:
            which = f"generation {changes.not_kept[0]} kept no settings: its record is older"
        else:
            which = (
                f"generations {changes.a} and {changes.b} kept no settings: their records are older"
            )
        return [f"configuration: changed ({which})"]
    if not differing:
        if not changes.config_changed:
            return []
        return ["configuration: its files changed, its settings did not"]
    lines = [f"configuration: {_setting_counts(differing)}"]
    for change in differing:
        if change.change is SettingChangeKind.CHANGED:
            values = f"{shown_value(change.before)} → {shown_value(change.after)}"
        elif change.change is SettingChangeKind.ADDED:
            values = shown_value(change.after)
        else:
            values = shown_value(change.before)
        lines.append(f"  {_SETTING_SYMBOL[change.change]} {change.path}: {values}")
    return lines


_SETTING_SYMBOL = {
    SettingChangeKind.ADDED: "+",
    SettingChangeKind.REMOVED: "-",
    SettingChangeKind.CHANGED: "~",
}


def _setting_counts(differing: list[SettingChange]) -> str:
    kinds = [setting.change for setting in differing]
    return ", ".join(f"{kinds.count(k)} {k}" for k in SettingChangeKind if k in kinds)


def render_details(details: GenerationDetails) -> str:
    """`generations show N`: the generation, its configuration, its log, its boot entry."""
    generation, record = details.generation, details.record
    marks = _marks(generation)
    fields = [
        ("created", generation.created.astimezone().strftime("%Y-%m-%d %H:%M:%S")),
        ("status", str(generation.status)),
        ("subvolume", generation.subvolume),
        ("kernel", generation.kernel or "-"),
        ("packages", str(generation.packages)),
    ]
    if record is not None:
        fields[1:1] = [("parent", "-" if record.parent is None else str(record.parent))]
        fields += [("managed", str(len(record.managed))), ("config", record.config_digest)]
    width = max(len(name) for name, _ in fields)
    heading = f"generation {generation.id}" + (f" ({', '.join(marks)})" if marks else "")
    lines = [heading, *(f"  {name.ljust(width)}  {value}" for name, value in fields)]
    lines += ["", *_recorded_configuration(details)]
    lines += ["", *_log_lines(details)]
    lines += ["", *_boot_entry_lines(details)]
    return "\n".join(lines)


def _recorded_configuration(details: GenerationDetails) -> list[str]:
    record = details.record
    if record is None:
        if details.record_problem is not None:
            return [f"configuration: unknown, the record cannot be read: {details.record_problem}"]
        if details.generation.id == 0:
            return ["configuration: none (kodos adopted this root; no configuration built it)"]
        return ["configuration: unknown (the build stopped before writing its record)"]
    if record.configuration is None:
        return ["configuration: not kept (its record was written by an older kodos)"]
    recorded = settings(record.configuration)
    lines = ["configuration:"]
    lines += [
        f"  {config_path(parts) or '(empty)'} = {json.dumps(value, ensure_ascii=False)}"
        for parts, value in recorded.items()
    ]
    return lines


def _log_lines(details: GenerationDetails) -> list[str]:
    record = details.record
    if record is None or record.log is None:
        return ["log: none kept"]
    if details.log is None:
        return [f"log: {record.log} ({details.log_problem})"]
    return [f"log: {record.log}", *(f"  {line}" for line in details.log.splitlines())]


def _boot_entry_lines(details: GenerationDetails) -> list[str]:
    if details.boot_entry is None:
        return [f"boot entry: none ({details.boot_entry_path} does not exist)"]
    body = (f"  {line}" for line in details.boot_entry.splitlines())
    return [f"boot entry: {details.boot_entry_path}", *body]


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
