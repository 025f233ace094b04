"""Text of the files kodos writes: one header, settings formats, systemd unit files.

Every file starts with `HEADER` where its format has comments, and ends with a newline.
Values come from the configuration, whose model refuses keys and values that would break a
line (`kodos.config.types.SettingKey`, `OneLine`); `key_problem` adds what one format forbids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from kodos.desired.descriptors import SettingsTarget

HEADER = "# Managed by kodos: changes made here are replaced on the next apply."

SettingValue = str | int | float | bool
UnitSection = tuple[str, list[tuple[str, str]]]


def managed_text(lines: Iterable[str]) -> str:
    """The header, then `lines`, one per line."""
    return "\n".join([HEADER, *lines]) + "\n"


def key_problem(key: str, target: SettingsTarget) -> str | None:
    """What the settings file's format forbids of a key the model accepted."""
    if target.format == "sshd" and key.lower() == "match":
        # Every line after a Match line belongs to its block: flat settings cannot say that.
        return "a Match block cannot be written as a setting; put it in a file of its own"
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
