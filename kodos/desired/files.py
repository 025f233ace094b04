"""Text of the files kodos writes: one header, settings formats, systemd unit files.

Every file starts with `HEADER` where its format has comments, and ends with a newline.
Values come from the configuration, so each renderer's caller first checks them with
`value_problem`/`key_problem`: a newline in a value would smuggle in a line of its own.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kodos.desired.descriptors import SettingsTarget
from kodos.text.lazyregex import lazy

HEADER = "# Managed by kodos: changes made here are replaced on the next apply."

SettingValue = str | int | float | bool
UnitSection = tuple[str, list[tuple[str, str]]]

_KEY = lazy(r"[A-Za-z0-9_.-]+")


def managed_text(lines: Iterable[str]) -> str:
    """The header, then `lines`, one per line."""
    return "\n".join([HEADER, *lines]) + "\n"


def key_problem(key: str, target: SettingsTarget) -> str | None:
    if not _KEY.fullmatch(key):
        return f"{key!r} is not a setting name: letters, digits and _.- only"
    if target.format == "sshd" and key.lower() == "match":
        # Every line after a Match line belongs to its block: flat settings cannot say that.
        return "a Match block cannot be written as a setting; put it in a file of its own"
    return None


def value_problem(value: SettingValue) -> str | None:
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        return "a value must fit on one line"
    if isinstance(value, str) and value.endswith("\\"):
        return "a value must not end with a backslash (it would continue on the next line)"
    return None


def render_settings(settings: Mapping[str, SettingValue], target: SettingsTarget) -> str:
    """`settings` in the descriptor's format, keys sorted (their order means nothing)."""
    keys = sorted(settings)
    if target.format == "sshd":
        return managed_text(f"{key} {_word(settings[key], 'yes', 'no')}" for key in keys)
    lines = [f"{key}={_word(settings[key], 'true', 'false')}" for key in keys]
    if target.format == "ini" and target.section:
        lines.insert(0, f"[{target.section}]")
    return managed_text(lines)


def render_unit(sections: Iterable[UnitSection]) -> str:
    """A systemd unit file; sections without settings are left out."""
    blocks = [
        "\n".join([f"[{name}]", *(f"{key}={value}" for key, value in settings)])
        for name, settings in sections
        if settings
    ]
    return HEADER + "\n" + "\n\n".join(blocks) + "\n"


def unit_value(value: str) -> str:
    """A literal value for a unit file: `%` starts a specifier there, so it is doubled."""
    return value.replace("%", "%%")


def _word(value: SettingValue, true: str, false: str) -> str:
    if isinstance(value, bool):
        return true if value else false
    return str(value)
