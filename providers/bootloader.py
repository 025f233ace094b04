"""The `bootloader` provider: systemd-boot's configuration on the EFI system partition.

Manages `bootloader.loader[systemd-boot]` — one attribute per key of `loader/loader.conf`
(`timeout`, `default`, `editor`, `console-mode`, …; whole numbers as ints, everything else as
the text after the key) — and `bootloader.entry[NAME]` for each `loader/entries/NAME.conf`:
every key, with `initrd` a list (one item per line, in order) and `options` the lines joined
by spaces, as systemd-boot and `bootctl list` read them. A boot-counting suffix
(`NAME+3-1.conf`) is not part of the name. Everything found is read, whatever the scope.

The ESP is the first of `efi/`, `boot/efi/`, `boot/` inside the root holding
`loader/loader.conf` or `EFI/systemd/`; a root without one has no boot loader (nothing is
emitted). An Extended Boot Loader partition's entries and unified kernel images
(`EFI/Linux/*.efi`) are not read: kodos writes type #1 entries on the ESP. Arch mounts a vfat
ESP with `fmask=0077`, so without root its files may be unreadable: that is a note, and the
unreadable file's resource is left out. So is a file behind a link out of the ESP (vfat has no
links: such a link is damage) or one that is not a regular file: never read, a note says so.

Ownership: kodos deletes a boot entry only when `bootloader.entry[NAME]` is in the current
generation's managed set and the configuration no longer declares it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from kodos.providers import Reading, Scope
from kodos.resources import JsonValue, Resource
from kodos.system.rootfs import ESP, UnsafePath, inside, read_text_in_root, resolve_in_root
from kodos.systemd.boot import BOOT_LOADER_DIR, ENTRIES_DIR, LOADER_CONF, entry_id, key_values

PROVIDER = "bootloader"
READS_ALL = True
LOADER = "systemd-boot"
ESP_CANDIDATES = ("efi", "boot/efi", "boot")
_INTEGER = re.compile(r"^-?[0-9]+$")


def read(root: Path, scope: Scope) -> Reading:
    """The loader settings and boot entries on the root's ESP (nothing without an ESP)."""
    reading = Reading()
    esp = find_esp(root)
    if esp is None:
        return reading
    loader_conf = os.path.join(esp, LOADER_CONF)
    # systemd-boot installed without a loader.conf runs on its defaults: no keys set.
    settings = _key_values(esp, loader_conf, root, reading.notes)
    if settings is not None:
        loader = {key: _number_or_text(values[-1]) for key, values in settings.items()}
        reading.resources.append(Resource(PROVIDER, "loader", LOADER, loader))
    reading.resources.extend(_entries(root, esp, reading.notes))
    return reading


def find_esp(root: Path) -> str | None:
    """The host path of the root's ESP, or None."""
    for candidate in ESP_CANDIDATES:
        esp = resolve_in_root(root, candidate)
        if holds_systemd_boot(esp):
            return esp
    return None


def holds_systemd_boot(esp: str) -> bool:
    """Whether the directory `esp` has systemd-boot: `loader/loader.conf` or `EFI/systemd`."""
    loader_conf = os.path.join(esp, LOADER_CONF)
    return os.path.isfile(loader_conf) or os.path.isdir(os.path.join(esp, BOOT_LOADER_DIR))


def _entries(root: Path, esp: str, notes: list[str]) -> list[Resource]:
    directory = os.path.join(esp, ENTRIES_DIR)
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return []
    except OSError as err:
        notes.append(f"{inside(root, directory)}: not readable ({err.strerror}); entries unknown")
        return []
    entries = []
    for file_name in names:
        name = entry_id(file_name)
        path = os.path.join(directory, file_name)
        if name is None or not os.path.isfile(path):
            continue
        fields = _key_values(esp, path, root, notes)
        if fields is not None:
            entries.append(Resource(PROVIDER, "entry", name, _entry(fields)))
    return entries


def _entry(fields: dict[str, list[str]]) -> dict[str, JsonValue]:
    attributes: dict[str, JsonValue] = {}
    for key, values in fields.items():
        if key == "initrd":
            attributes[key] = values
        elif key == "options":
            attributes[key] = " ".join(values)
        else:
            attributes[key] = values[-1]  # a key given twice: the last one counts
    return attributes


def _key_values(esp: str, path: str, root: Path, notes: list[str]) -> dict[str, list[str]] | None:
    """The file's `key value` lines (`systemdboot.key_values`); {} when there is no such file,
    None when it is unreadable (with a note)."""
    try:
        text = read_text_in_root(esp, os.path.relpath(path, esp), where=ESP)
    except FileNotFoundError:
        return {}  # systemd-boot installed without a loader.conf runs on its defaults
    except UnsafePath as err:
        notes.append(f"{inside(root, path)}: not read ({err.reason}); left out")
        return None
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else "not UTF-8 text"
        notes.append(f"{inside(root, path)}: not readable ({reason}); left out")
        return None
    return key_values(text)


def _number_or_text(value: str) -> JsonValue:
    return int(value) if _INTEGER.match(value) else value
