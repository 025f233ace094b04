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
  (systemd-boot's "boot assessment"), so matching a file to an entry strips that suffix.

Only formats and names live here; every path on the ESP is resolved by the callers through
`bootentries.on_esp` / `kodos.system.rootfs`, which refuse a link out of the ESP.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

LOADER_CONF = Path("loader/loader.conf")
ENTRIES_DIR = Path("loader/entries")
BOOT_LOADER_DIR = Path("EFI/systemd")
"""Where `bootctl install` puts systemd-boot's EFI program."""

# NAME[+LEFT[-DONE]].conf. A pattern string, compiled by `re` on first use (not at import).
_ENTRY_FILE = r"^(?P<name>.+?)(?:\+\d+(?:-\d+)?)?\.conf$"


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
    match = re.match(_ENTRY_FILE, file_name)
    return match["name"] if match else None


def entry_files(directory: Path, entry: str) -> list[Path]:
    """The files of entry `entry` in the entries `directory` (already resolved on the ESP by
    the caller), boot-counted names included, sorted; [] when there is no such directory."""
    if not directory.is_dir():
        return []
    return sorted(path for path in directory.iterdir() if entry_id(path.name) == entry)
