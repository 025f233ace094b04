"""Checks `kodos validate` makes against lists the host may have: console keymaps and locales.

Neither list ships with kodos. The host running `kodos validate` usually is the machine (or an
Arch like it), whose kbd and glibc packages carry both: the keymaps under
/usr/share/kbd/keymaps (Arch; Debian's console-data uses /usr/share/keymaps) and the locales
glibc can build in /usr/share/i18n/SUPPORTED. Where the host has no list, the value is not
checked and a note says so, rather than refusing a configuration for the host's sake. Only
`validate` asks: a plan is made for the machine at --root, whose own tools judge.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kodos.config.model import Config
from kodos.errors import Problem
from kodos.text.location import config_path
from kodos.text.shown import quoted

KEYMAP_DIRS = (Path("/usr/share/kbd/keymaps"), Path("/usr/share/keymaps"))
SUPPORTED_LOCALES = Path("/usr/share/i18n/SUPPORTED")
KEYMAP_SUFFIXES = (".map", ".kmap")
COMPRESSIONS = ("", ".gz", ".bz2", ".xz", ".zst")
ALWAYS_AVAILABLE = frozenset({"c", "posix", "c.utf8"})
"""Locales glibc has built in (normalized: `glibc_normalized`): never in SUPPORTED, always
usable."""


Located = tuple[tuple[str | int, ...], str]
"""A value and the configuration path it was written at."""


@dataclass
class HostChecks:
    problems: list[Problem] = field(default_factory=list)
    notes: list[Problem] = field(default_factory=list)


def check_against_host(
    config: Config,
    keymap_dirs: Sequence[Path] = KEYMAP_DIRS,
    supported: Path = SUPPORTED_LOCALES,
) -> HostChecks:
    """The configuration's keymap and locales, checked against the host's lists."""
    checks = HostChecks()
    locale = config.locale
    if locale is None:
        return checks
    if locale.keymap is not None:
        _check_keymap(checks, locale.keymap, keymap_dirs)
    generation = locale.locale
    lines: list[Located] = [
        (("locale", "locale", "extra_generate", i), line)
        for i, line in enumerate(generation.extra_generate)
    ]
    if generation.default is not None:
        lines.insert(0, (("locale", "locale", "default"), generation.default))
    names: list[Located] = [
        (("locale", "locale", "extra_settings", variable), value)
        for variable, value in sorted(generation.extra_settings.items())
        if variable != "LANGUAGE"  # a list of languages, not a locale
    ]
    if lines or names:
        _check_locales(checks, lines, names, supported)
    return checks


def keymap_names(directories: Iterable[Path]) -> frozenset[str] | None:
    """Every keymap under `directories` by name (`us` for i386/qwerty/us.map.gz); None when
    the host has none of them."""
    found: set[str] = set()
    present = False
    for directory in directories:
        if not directory.is_dir():
            continue
        present = True
        for _, _, files in os.walk(directory):
            found.update(name for file in files if (name := _keymap_name(file)))
    return frozenset(found) if present else None


def _keymap_name(file: str) -> str | None:
    for compression in COMPRESSIONS:
        for suffix in KEYMAP_SUFFIXES:
            ending = suffix + compression
            if file.endswith(ending) and len(file) > len(ending):
                return file.removesuffix(ending)
    return None


def _check_keymap(checks: HostChecks, keymap: str, directories: Sequence[Path]) -> None:
    where = config_path(("locale", "keymap"))
    known = keymap_names(directories)
    if known is None:
        listed = " or ".join(str(d) for d in directories)
        checks.notes.append(Problem(where, f"not checked: this host has no keymaps ({listed})"))
    elif keymap not in known:
        message = f"{quoted(keymap)} is not a keymap this host knows{_guess(keymap, known)}"
        checks.problems.append(Problem(where, message))


def supported_locales(path: Path) -> frozenset[str] | None:
    """The `locale.gen` lines glibc can build (`en_US.UTF-8 UTF-8`); None without the list."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = (" ".join(line.split()) for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _check_locales(
    checks: HostChecks, lines: list[Located], names: list[Located], supported: Path
) -> None:
    known = supported_locales(supported)
    if known is None:
        where = config_path(("locale", "locale"))
        checks.notes.append(Problem(where, f"not checked: this host has no {supported}"))
        return
    for parts, line in lines:
        if " ".join(line.split()) not in known:
            message = f"{quoted(line)} is not a locale this host's glibc lists in {supported}"
            # the locale exists with another character set: that line is what was meant
            same_name = sorted(
                known_line for known_line in known if known_line.split()[0] == line.split()[0]
            )
            guess = f"; did you mean {same_name[0]!r}?" if same_name else ""
            checks.problems.append(Problem(config_path(parts), message + guess))
    known_names = {line.split()[0] for line in known}
    normalized = {glibc_normalized(name) for name in known_names} | ALWAYS_AVAILABLE
    for parts, name in names:
        if glibc_normalized(name) not in normalized:
            message = f"{quoted(name)} is not a locale this host's glibc lists in {supported}"
            checks.problems.append(Problem(config_path(parts), message))


def glibc_normalized(locale_name: str) -> str:
    """glibc's spelling-insensitive form: en_US.UTF-8 and en_US.utf8 are one locale."""
    language, dot, rest = locale_name.partition(".")
    if not dot:
        return language.lower()
    codeset, at, modifier = rest.partition("@")
    codeset = "".join(char for char in codeset if char.isalnum()).lower()
    return f"{language}.{codeset}{at}{modifier}".lower()


def _guess(value: str, known: Iterable[str]) -> str:
    found = difflib.get_close_matches(value, sorted(known), n=1, cutoff=0.8)
    return f"; did you mean {found[0]!r}?" if found else ""
