"""systemd-boot entries of kodos generations on the ESP, and loader.conf's default.

Generation N boots from `ESP/loader/entries/kodos-N.conf`, whose kernel and initramfs are
copies kept in `ESP/kodos/N/` (taken from that generation's own `/boot`, where pacman put
them). Every generation has its own copies, so deleting one removes its directory whole and no
reference counting is needed; the price is ESP space (about 30 MB a generation for Arch's
`linux`; the fallback initramfs is not copied).

Every file is written atomically (temp file, fsync, rename) and in an order where a crash leaves
nothing that boots into missing files: kernels before the entry that names them, and the entry
removed before its kernels. `set_default_entry` rewrites only the `default` line of
`loader/loader.conf`; its other keys and comments stay as they are.

systemd-boot prefers an EFI variable set by `bootctl set-default` over loader.conf's `default`;
kodos writes loader.conf only (no EFI variables are touched).

Both sides are roots (kodos/providers/rootfs.py): a generation's files are read with its links
resolved inside it, as its own boot would see them, and only regular files are copied; a path
on the ESP that is a link out of the ESP is refused when writing. Listing and removing treat
such a link as holding nothing of kodos's, and `ESP/kodos/N` is removed as whatever it is — a
link is unlinked, never followed — so a damaged ESP never stops a deletion half-way.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from kodos.errors import KodosError, ReadError
from kodos.system.atomic import fsync_directory, write_text_atomic
from kodos.system.rootfs import (
    ESP,
    UnsafePath,
    checked_in_root,
    is_file_in_root,
    open_in_root,
    read_text_in_root,
)
from kodos.systemd.boot import (
    ENTRIES_DIR,
    LOADER_CONF,
    entry_files,
    entry_id,
    key_values,
    rewrite_keys,
)

KERNELS_DIR = Path("kodos")
"""`ESP/kodos/N/` holds generation N's kernel and initramfs."""

# Generation N's entry is `kodos-N` (its file kodos-N.conf, or kodos-N+LEFT[-DONE].conf once
# boot counting renamed it). A pattern string, compiled by `re` on first use (not at import).
_GENERATION_ENTRY = r"kodos-(?P<id>0|[1-9][0-9]*)"
_ARCH_KERNEL = "linux"
_DEFAULT_OS_NAME = "Arch Linux"


class BootEntryError(KodosError):
    """A boot entry or loader.conf could not be written or read."""


class KernelFiles(NamedTuple):
    """A generation's kernel (`linux` for `/boot/vmlinuz-linux`) and its image and initramfs,
    as host paths inside its root: regular files, every link on the way resolved in the root."""

    name: str
    vmlinuz: Path
    initramfs: Path | None


def entry_name(gen_id: int) -> str:
    """The entry id systemd-boot knows generation `gen_id` by (`kodos-N.conf`)."""
    return f"kodos-{gen_id}.conf"


def find_kernel(generation_root: Path) -> KernelFiles:
    """The kernel pacman installed in the generation's `/boot`: `vmlinuz-linux` when present
    (Arch's default kernel), else the first `vmlinuz-*` by name, with the matching
    `initramfs-*.img` (None when there is none). No kernel is an error: such a generation
    cannot boot."""
    boot = Path(checked_in_root(generation_root, "/boot"))
    listed = sorted(p.name for p in boot.glob("vmlinuz-*"))
    kernels = [name for name in listed if is_file_in_root(generation_root, f"/boot/{name}")]
    if not kernels:
        raise BootEntryError(
            f"{generation_root / 'boot'}: no kernel (vmlinuz-*): this generation cannot boot"
        )
    preferred = f"vmlinuz-{_ARCH_KERNEL}"
    name = (preferred if preferred in kernels else kernels[0]).removeprefix("vmlinuz-")
    vmlinuz = Path(checked_in_root(generation_root, f"/boot/vmlinuz-{name}"))
    initramfs = f"/boot/initramfs-{name}.img"
    if not is_file_in_root(generation_root, initramfs):
        return KernelFiles(name, vmlinuz, None)
    return KernelFiles(name, vmlinuz, Path(checked_in_root(generation_root, initramfs)))


def kernel_name(files: KernelFiles) -> str:
    """The kernel's name as its files are named: `linux` for `vmlinuz-linux`."""
    return files.name


def generation_title(generation_root: Path, gen_id: int) -> str:
    """`<PRETTY_NAME of the generation's os-release> (kodos generation N)`."""
    return f"{_pretty_name(generation_root)} (kodos generation {gen_id})"


def _pretty_name(root: Path) -> str:
    for candidate in ("etc/os-release", "usr/lib/os-release"):
        try:
            text = read_text_in_root(root, candidate)
        except (OSError, UnicodeDecodeError, ReadError, UnsafePath):
            continue
        for line in text.splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "PRETTY_NAME" and value.strip().strip("\"'"):
                return value.strip().strip("\"'")
    return _DEFAULT_OS_NAME


def write_generation_entry(
    esp: Path,
    gen_id: int,
    *,
    fs_uuid: str,
    subvolume: str,
    kernel_files: KernelFiles,
    title: str,
    extra_options: Sequence[str] = (),
) -> Path:
    """Copy the kernel (and initramfs) to `ESP/kodos/N/`, then write the entry that boots them
    with `root=UUID=<fs_uuid> rootflags=subvol=<subvolume> rw` and `extra_options` (see
    `kernel_options`); returns the entry's path."""
    _check_single_words(fs_uuid=fs_uuid, subvolume=subvolume)
    options = kernel_options(fs_uuid, subvolume, extra_options)
    _check_single_lines(title=title, options=" ".join(options))
    name, vmlinuz, initramfs = kernel_files
    sources = [(vmlinuz, f"vmlinuz-{name}")]
    if initramfs is not None:
        sources.append((initramfs, f"initramfs-{name}.img"))
    copied = _copy_kernels(_kernel_directory(esp, gen_id), sources)
    lines = [
        f"# kodos generation {gen_id}: written by kodos, removed by `kodos generations delete`",
        f"title      {title}",
        f"version    {gen_id}",
        "sort-key   kodos",
        f"linux      {_esp_path(esp, copied[0])}",
        *(f"initrd     {_esp_path(esp, path)}" for path in copied[1:]),
        f"options    {' '.join(options)}",
    ]
    # kodos-N.conf is kodos's own name: whatever is there (a link too) is replaced.
    entry = on_esp(esp, ENTRIES_DIR) / entry_name(gen_id)
    entry.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(entry, "\n".join(lines) + "\n")
    return entry


def kernel_options(fs_uuid: str, subvolume: str, extra_options: Sequence[str]) -> list[str]:
    """The kernel command line of a generation's entry. The root is kodos's: `root=`, `rw`/`ro`
    and `subvol=`/`subvolid=` among `extra_options` are dropped, other `rootflags=` flags
    (`compress=zstd`) are kept in kodos's one `rootflags=` — the kernel would take only the
    last of two."""
    flags = [f"subvol={subvolume}"]
    rest = []
    for option in extra_options:
        if option.startswith("rootflags="):
            given = option.removeprefix("rootflags=").split(",")
            flags += [f for f in given if f and not f.startswith(("subvol=", "subvolid="))]
        elif not option.startswith("root=") and option not in ("rw", "ro"):
            rest.append(option)
    return [f"root=UUID={fs_uuid}", f"rootflags={','.join(flags)}", "rw", *rest]


def generation_options(generation_root: Path, esp: Path) -> list[str]:
    """The kernel options a generation's entry gets: its own `/etc/kernel/cmdline` when the
    configuration sets `boot.kernel.options`, else those of the entry that boots now."""
    cmdline = "/etc/kernel/cmdline"
    if is_file_in_root(generation_root, cmdline):
        try:
            return read_text_in_root(generation_root, cmdline).split()
        except (OSError, UnicodeDecodeError) as err:
            raise BootEntryError(f"{cmdline} of the generation: cannot read: {err}") from None
    return default_entry_options(esp)


def default_entry_options(esp: Path) -> list[str]:
    """The kernel options of the entry loader.conf boots by default ([] when there is no such
    entry file, or the default is a pattern): what a new generation's entry inherits, so that
    options the machine needs (`rd.luks.name=…`, `resume=…`) survive kodos taking over."""
    value = default_entry(esp)
    if not value:
        return []
    files = entry_files(on_esp(esp, ENTRIES_DIR), value.removesuffix(".conf"))
    return _options_of(esp, files[0]) if files else []


def remove_generation_entry(esp: Path, gen_id: int) -> None:
    """Remove generation `gen_id`'s entry (boot-counted names too), then its kernels.
    Whatever is already gone is fine; what is not kodos's (behind a link out of the ESP) is
    left alone, and a link at `ESP/kodos/N` is removed itself, never followed."""
    entries = _esp_directory(esp, ENTRIES_DIR)
    for path in _entry_files(entries):
        if _generation_of(path.name) == gen_id:
            path.unlink()
            fsync_directory(path.parent)
    directory = _esp_directory(esp, KERNELS_DIR)
    if directory is None:
        return
    kernels = directory / str(gen_id)
    try:
        mode = kernels.lstat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISDIR(mode):
        shutil.rmtree(kernels)  # removes links inside it, never what they point to
    else:
        kernels.unlink()
    fsync_directory(directory)


def entry_ids(esp: Path) -> list[int]:
    """The generations with an entry in `ESP/loader/entries`, in increasing order."""
    files = _entry_files(_esp_directory(esp, ENTRIES_DIR))
    return sorted({gen_id for path in files if (gen_id := _generation_of(path.name)) is not None})


def kernel_dir_ids(esp: Path) -> list[int]:
    """The generations with something at `ESP/kodos/N` (a kernel directory, or a link in its
    place, which cleaning up removes), in increasing order."""
    directory = _esp_directory(esp, KERNELS_DIR)
    if directory is None:
        return []
    return sorted(int(p.name) for p in directory.iterdir() if p.name.isdigit() and _dir_or_link(p))


def on_esp(esp: Path, relative: Path | str, *, follow_last: bool = True) -> Path:
    """The host path of `relative` on the ESP, links resolved inside it; `UnsafePath` for a
    link out of the ESP."""
    return Path(checked_in_root(esp, str(relative), follow_last=follow_last, where=ESP))


def _kernel_directory(esp: Path, gen_id: int) -> Path:
    """`ESP/kodos/N`, a real directory: anything else kodos finds at its own name (a link,
    even one inside the ESP, whose target the stale-file cleanup would empty) is removed."""
    directory = on_esp(esp, KERNELS_DIR) / str(gen_id)
    try:
        mode = directory.lstat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISDIR(mode):
        directory.unlink()
    return directory


def _esp_directory(esp: Path, relative: Path) -> Path | None:
    """The directory `relative` on the ESP, or None when there is none inside the ESP (a
    link out of it holds nothing kodos may list or remove)."""
    try:
        directory = on_esp(esp, relative)
    except (UnsafePath, ReadError):
        return None
    return directory if directory.is_dir() else None


def _dir_or_link(path: Path) -> bool:
    mode = path.lstat().st_mode
    return stat.S_ISDIR(mode) or stat.S_ISLNK(mode)


def set_default_entry(esp: Path, gen_id: int) -> None:
    """Make `default kodos-N.conf` loader.conf's default, keeping its other lines; the file
    (and `loader/`) is created when missing."""
    path = on_esp(esp, LOADER_CONF.parent) / LOADER_CONF.name
    text = rewrite_keys(_loader_conf_text(esp), {"default": entry_name(gen_id)})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, text)


def default_entry(esp: Path) -> str | None:
    """loader.conf's `default` value (the last one counts, as in systemd-boot), or None."""
    values = key_values(_loader_conf_text(esp)).get("default", [])
    return values[-1] if values else None


def default_entry_id(esp: Path) -> int | None:
    """The generation loader.conf boots by default; None when its default is not a kodos
    entry (or there is none)."""
    value = default_entry(esp)
    return _generation_id(value.removesuffix(".conf")) if value else None


def read_on_esp(esp: Path, relative: Path) -> str:
    """The text of the file `relative` on the ESP, links resolved inside it; "" when there is
    none. A link out of the ESP is `UnsafePath`."""
    try:
        return read_text_in_root(esp, str(relative), where=ESP)
    except FileNotFoundError:
        return ""


def _loader_conf_text(esp: Path) -> str:
    """loader.conf's text ("" when there is none)."""
    try:
        return read_on_esp(esp, LOADER_CONF)
    except (OSError, UnicodeDecodeError) as err:
        raise BootEntryError(f"{esp / LOADER_CONF}: cannot read: {err}") from None


def _copy_kernels(directory: Path, sources: list[tuple[Path, str]]) -> list[Path]:
    """Copy each (source, name) into `directory` atomically; files left from an earlier
    attempt that are not among them are removed. Returns the copies, in the order given."""
    directory.mkdir(parents=True, exist_ok=True)
    copies = []
    for source, name in sources:
        target = directory / name
        try:
            _copy_atomic(source, target)
        except OSError as err:
            raise BootEntryError(f"cannot copy {source} to {target}: {err.strerror}") from None
        copies.append(target)
    for stale in set(directory.iterdir()) - set(copies):
        stale.unlink()
    fsync_directory(directory)
    return copies


def _copy_atomic(source: Path, target: Path) -> None:
    """`source` is a resolved host path: it is opened without following a link (a swapped-in
    one fails) and must be a regular file (never a device or FIFO)."""
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.unlink(missing_ok=True)  # a link left there must not be written through
    with os.fdopen(open_in_root(source.parent, source.name), "rb") as reader:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC
        with os.fdopen(os.open(temporary, flags, 0o644), "wb") as writer:
            shutil.copyfileobj(reader, writer, 1024 * 1024)
            writer.flush()
            os.fsync(writer.fileno())
    os.replace(temporary, target)


def _esp_path(esp: Path, path: Path) -> str:
    """How systemd-boot names a file on the ESP: absolute from the ESP's root, with `/`."""
    return "/" + path.relative_to(esp).as_posix()


def _options_of(esp: Path, entry: Path) -> list[str]:
    try:
        text = read_text_in_root(esp, str(entry.relative_to(esp)), where=ESP)
    except (OSError, UnicodeDecodeError) as err:
        raise BootEntryError(f"{entry}: cannot read: {err}") from None
    return [word for value in key_values(text).get("options", []) for word in value.split()]


def _entry_files(directory: Path | None) -> list[Path]:
    """The files of kodos's generation entries in `directory`, sorted."""
    if directory is None or not directory.is_dir():
        return []
    return sorted(p for p in directory.iterdir() if _generation_of(p.name) is not None)


def _generation_of(file_name: str) -> int | None:
    """The generation whose entry the file `file_name` holds, boot-counted or not."""
    entry = entry_id(file_name)
    return _generation_id(entry) if entry is not None else None


def _generation_id(entry: str) -> int | None:
    """N for the entry id `kodos-N`; None for any other entry."""
    match = re.fullmatch(_GENERATION_ENTRY, entry)
    return int(match["id"]) if match else None


def _check_single_words(**values: str) -> None:
    for name, value in values.items():
        if not value or any(c.isspace() for c in value):
            raise BootEntryError(f"boot entry {name} {value!r}: must be one word, not empty")


def _check_single_lines(**values: str) -> None:
    for name, value in values.items():
        if "\n" in value or "\r" in value:
            raise BootEntryError(f"boot entry {name} {value!r}: must be a single line")
