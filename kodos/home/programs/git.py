"""`configs.git{...}`: the user's git configuration, `~/.config/git/config`, in git's own format.

Each setting is a dotted git key (`user.name`, `init.defaultBranch`, `url.git@host:.insteadOf`:
section, optional subsection, name) and a value. Values are always written quoted and escaped
(`\\\\`, `\\"`, `\\n`, `\\t`, `\\b`), so git reads back exactly the text given — `#`, `;`,
leading blanks and line breaks included; booleans are written `true`/`false`, numbers as Lua
prints them. kodos owns the whole file: a key set by hand with `git config --global` is lost at
the next apply (git reads `~/.gitconfig` too, which kodos leaves alone).
"""

from __future__ import annotations

from collections.abc import Mapping

from kodos.errors import Problem
from kodos.home.items import HomeFile
from kodos.text.lazyregex import lazy
from kodos.text.location import config_path
from kodos.text.shown import quoted

PATH = ".config/git/config"
_SECTION = lazy(r"[A-Za-z0-9-]+")
_NAME = lazy(r"[A-Za-z][A-Za-z0-9-]*")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\b": "\\b"}

Value = str | int | float | bool


def render(
    settings: Mapping[str, Value], at: list[str | int]
) -> tuple[HomeFile | None, list[Problem]]:
    """The config file holding `settings` (dotted key → value), or None when there are none;
    `at` is the configuration path of the `configs.git{...}` table."""
    sections: dict[tuple[str, str | None], list[str]] = {}
    problems: list[Problem] = []
    for key in sorted(settings):
        parts = _split(key)
        if parts is None:
            problems.append(Problem(config_path([*at, key]), _BAD_KEY.format(quoted(key))))
            continue
        section, subsection, name = parts
        value = settings[key]
        if isinstance(value, str) and "\0" in value:
            problems.append(Problem(config_path([*at, key]), "a git value cannot hold NUL"))
            continue
        sections.setdefault((section.lower(), subsection), []).append(f"\t{name} = {_value(value)}")
    if problems or not sections:
        return None, problems
    text = "".join(
        _header(section, subsection) + "\n" + "\n".join(lines) + "\n"
        for (section, subsection), lines in sorted(sections.items(), key=_order)
    )
    return HomeFile(PATH, text.encode("utf-8"), 0o644, config_path(at)), []


_BAD_KEY = (
    "{} is not a git key: write section.name or section.subsection.name, e.g. "
    '"user.email" or "init.defaultBranch"'
)


def _order(item: tuple[tuple[str, str | None], list[str]]) -> tuple[str, str]:
    (section, subsection), _ = item
    return section, subsection or ""


def _split(key: str) -> tuple[str, str | None, str] | None:
    section, dot, rest = key.partition(".")
    subsection, _, name = rest.rpartition(".")
    if not dot or not _SECTION.fullmatch(section) or not _NAME.fullmatch(name):
        return None
    if "\n" in subsection or "\0" in subsection:
        return None
    return section, (subsection if subsection else None), name


def _header(section: str, subsection: str | None) -> str:
    if subsection is None:
        return f"[{section}]"
    escaped = subsection.replace("\\", "\\\\").replace('"', '\\"')
    return f'[{section} "{escaped}"]'


def _value(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return '"' + "".join(_ESCAPES.get(char, char) for char in value) + '"'
