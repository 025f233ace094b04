"""systemd-boot's file formats on the ESP: where its files are, how they read, how they are named.

The one place that knows them, for the bootloader provider (reading), the bootloader applier
(writing configured keys and entries) and kodos's own generation entries (`bootentries`):

* `loader/loader.conf` and `loader/entries/*.conf` are `key value` lines: the key is the first
  word, the value the rest of the line after the whitespace that follows it (as systemd-boot
  splits them). Blank lines and lines starting with `#` are comments; a key without a value is
  ignored by systemd-boot, so readers skip it. A key given twice: for most keys the last line
  counts, `initrd` lines add up, `options` lines are joined — readers get every value in order.
* Rewriting keys keeps every other line as it is (comments, keys set by hand) and puts each
  set key in place of its first line; its later lines go, since the last one would count.
  Lines are read with `str.splitlines` (LF, CRLF, a missing last newline) and written back with
  LF, each line ending in one.
* Boot counting renames an entry file, not the entry: `NAME+LEFT[-DONE].conf` is entry `NAME`
  (systemd-boot's "boot assessment"), so matching a file to an entry strips that suffix. An
  entry written as `NAME+3.conf` has three tries: systemd-boot renames it to `NAME+2-1.conf`
  before each boot, `systemd-bless-boot` to `NAME.conf` once `boot-complete.target` is
  reached; `NAME+0-3.conf` has used up its tries (`BootState.BAD`).
* loader.conf's `default` is a glob (`*`, `?`, `[...]`) matched against entry ids, the first
  entry in systemd-boot's order winning (`default_matches`). Older systemd-boot (Debian 12's
  252) takes the whole file name as the id (`kodos-5+2-1.conf`), newer ones the name without
  the counter (`kodos-5.conf`); a pattern kodos writes means the same under both.

Only formats and names live here; every path on the ESP is resolved by the callers through
`bootentries.on_esp` / `kodos.system.rootfs`, which refuse a link out of the ESP.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import NamedTuple

LOADER_CONF = Path("loader/loader.conf")
ENTRIES_DIR = Path("loader/entries")
BOOT_LOADER_DIR = Path("EFI/systemd")
"""Where `bootctl install` puts systemd-boot's EFI program."""

BOOT_TRIES = 3
"""The tries a new entry gets (`NAME+3.conf`): systemd's own example and default."""

# NAME[+LEFT[-DONE]].conf. A pattern string, compiled by `re` on first use (not at import).
_ENTRY_FILE = r"^(?P<name>.+?)(?:\+(?P<left>\d+)(?:-(?P<done>\d+))?)?\.conf$"


class BootState(StrEnum):
    """What boot counting says of an entry file."""

    GOOD = "good"
    """No counter: blessed by systemd-bless-boot, or written without one."""
    TRIAL = "trial"
    """A counter with tries left: not yet booted to `boot-complete.target`."""
    BAD = "bad"
    """No tries left: systemd-boot sorts it last and boots it only when asked by name."""


class EntryFile(NamedTuple):
    """A file of `loader/entries` read as systemd-boot reads its name."""

    entry: str
    """The entry's name without counter and `.conf` (`kodos-3`)."""
    tries_left: int | None
    tries_done: int | None

    @property
    def state(self) -> BootState:
        if self.tries_left is None:
            return BootState.GOOD
        return BootState.TRIAL if self.tries_left > 0 else BootState.BAD


def parse_entry_file(file_name: str) -> EntryFile | None:
    """`kodos-3+1-2.conf` → EntryFile("kodos-3", 1, 2); None for a file that is no entry
    (systemd-boot reads only `*.conf` files whose names do not start with a dot)."""
    if file_name.startswith("."):
        return None
    match = re.match(_ENTRY_FILE, file_name)
    if match is None:
        return None
    left = match["left"]
    if left is None:
        return EntryFile(match["name"], None, None)
    return EntryFile(match["name"], int(left), int(match["done"] or 0))


def counted_file_name(entry: str, tries: int = BOOT_TRIES) -> str:
    """The file name of a new entry with `tries` boots to prove itself: `NAME+3.conf`."""
    return f"{entry}+{tries}.conf"


def default_matches(pattern: str, file_name: str) -> bool:
    """Whether loader.conf's `default pattern` matches the entry in `file_name`, under either
    id systemd-boot gives it (the whole file name, or the name without counter), case
    folded as systemd-boot folds both."""
    import fnmatch  # here: the CLI imports this module on every start

    parsed = parse_entry_file(file_name)
    if parsed is None:
        return False
    ids = {file_name.lower(), f"{parsed.entry}.conf".lower()}
    return any(fnmatch.fnmatchcase(entry_id, pattern.lower()) for entry_id in ids)


def parse_line(line: str) -> tuple[str, str] | None:
    """A `key value` line as (key, value), split at the first run of whitespace as systemd-boot
    does (value "" for a key alone); None for a blank line or a comment."""
    stripped = line.strip()
    if not stripped or stripped.startswith("#"):
        return None
    key, *value = stripped.split(maxsplit=1)
    return key, value[0] if value else ""


def key_value_pairs(text: str) -> list[tuple[str, str]]:
    """The (key, value) lines of a loader.conf or entry file, in order; comments, blank lines
    and keys without a value (which systemd-boot ignores) are left out."""
    pairs = (parse_line(line) for line in text.splitlines())
    return [pair for pair in pairs if pair is not None and pair[1]]


def key_values(text: str) -> dict[str, list[str]]:
    """Every value of each key of a loader.conf or entry file, in the order of the lines."""
    fields: dict[str, list[str]] = {}
    for key, value in key_value_pairs(text):
        fields.setdefault(key, []).append(value)
    return fields


def rewrite_keys(
    text: str, settings: Mapping[str, str], removed: frozenset[str] = frozenset()
) -> str:
    """`text` of a `key value` file with each key of `settings` set as `key value` — in place
    of its first line, its later lines dropped; appended at the end when it had none — and the
    `removed` keys gone. Every other line is kept as it is; each line ends in LF."""
    kept: list[str] = []
    placed: set[str] = set()
    for line in text.splitlines():
        parsed = parse_line(line)
        key = parsed[0] if parsed else None
        if key is not None and key in settings:
            if key not in placed:
                kept.append(f"{key} {settings[key]}")
                placed.add(key)
        elif key not in removed:
            kept.append(line)
    kept += [f"{key} {value}" for key, value in settings.items() if key not in placed]
    return "".join(f"{line}\n" for line in kept)


def entry_id(file_name: str) -> str | None:
    """The entry a file in `loader/entries` holds: `NAME` for `NAME.conf` and for the
    boot-counted `NAME+LEFT.conf` / `NAME+LEFT-DONE.conf`; None for a file that is no entry."""
    parsed = parse_entry_file(file_name)
    return parsed.entry if parsed else None


def entry_files(directory: Path, entry: str) -> list[Path]:
    """The files of entry `entry` in the entries `directory` (already resolved on the ESP by
    the caller), boot-counted names included, sorted; [] when there is no such directory."""
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if entry_id(path.name) == entry)
