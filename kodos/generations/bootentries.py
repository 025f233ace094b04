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

from kodos.errors import ReadError
from kodos.generations.kernels import BootEntryError as BootEntryError
from kodos.generations.kernels import KernelFiles as KernelFiles
from kodos.generations.kernels import find_kernel as find_kernel
from kodos.generations.kernels import kernel_name as kernel_name
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
    BOOT_TRIES,
    ENTRIES_DIR,
    LOADER_CONF,
    BootState,
    counted_file_name,
    default_matches,
    entry_files,
    entry_id,
    key_values,
    parse_entry_file,
    rewrite_keys,
)

KERNELS_DIR = Path("kodos")
"""`ESP/kodos/N/` holds generation N's kernel and initramfs."""
STAGED_SUFFIX = ".staged"
"""An entry being committed: systemd-boot reads only `*.conf`, so it is no entry yet."""
NEWEST_DEFAULT = "kodos-*"
"""loader.conf's default after an apply: the newest kodos entry with tries left."""

# Generation N's entry is `kodos-N` (its file kodos-N.conf, or kodos-N+LEFT[-DONE].conf once
# boot counting renamed it). A pattern string, compiled by `re` on first use (not at import).
_GENERATION_ENTRY = r"kodos-(?P<id>0|[1-9][0-9]*)"
_DEFAULT_OS_NAME = "Arch Linux"


def entry_name(gen_id: int) -> str:
    """The id systemd-boot knows generation `gen_id` by (`kodos-N.conf`; before boot counting
    is done with it, its file is `kodos-N+LEFT[-DONE].conf`)."""
    return f"{_entry_stem(gen_id)}.conf"


def _entry_stem(gen_id: int) -> str:
    return f"kodos-{gen_id}"


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
    tries: int | None = BOOT_TRIES,
    staged: bool = False,
) -> Path:
    """Copy the kernel (and initramfs) to `ESP/kodos/N/`, then write the entry that boots them
    with `root=UUID=<fs_uuid> rootflags=subvol=<subvolume> rw` and `extra_options` (see
    `kernel_options`); returns the entry's path. The entry has `tries` boots to prove itself
    (`kodos-N+3.conf`; None: `kodos-N.conf`, no counting). `staged` writes it as
    `kodos-N+3.conf.staged`, which neither systemd-boot nor kodos counts as an entry until
    `publish_entry` renames it: a `default kodos-*` would boot it the moment it exists."""
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
    stem = _entry_stem(gen_id)
    name = counted_file_name(stem, tries) if tries is not None else f"{stem}.conf"
    # kodos-N…conf is kodos's own name: whatever is there (a link too) is replaced, and any
    # other file of generation N's entry goes, so that it has one.
    entry = on_esp(esp, ENTRIES_DIR) / (name + STAGED_SUFFIX if staged else name)
    entry.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(entry, "\n".join(lines) + "\n")
    for other in _generation_files(entry.parent, gen_id):
        if other != entry:
            other.unlink()
    fsync_directory(entry.parent)
    return entry


def publish_entry(esp: Path, gen_id: int) -> None:
    """Make generation `gen_id`'s staged entry an entry (`kodos-N+3.conf.staged` →
    `kodos-N+3.conf`); nothing when none is staged."""
    directory = _esp_directory(esp, ENTRIES_DIR)
    if directory is None:
        return
    for staged in _generation_files(directory, gen_id):
        if staged.name.endswith(STAGED_SUFFIX):
            os.replace(staged, staged.with_name(staged.name.removesuffix(STAGED_SUFFIX)))
            fsync_directory(directory)


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
    entry = _default_entry_name(esp)
    if entry is None:
        return []
    files = entry_files(on_esp(esp, ENTRIES_DIR), entry)
    return _options_of(esp, files[0]) if files else []


def remove_generation_entry(esp: Path, gen_id: int) -> None:
    """Remove generation `gen_id`'s entry (boot-counted names too), then its kernels.
    Whatever is already gone is fine; what is not kodos's (behind a link out of the ESP) is
    left alone, and a link at `ESP/kodos/N` is removed itself, never followed."""
    entries = _esp_directory(esp, ENTRIES_DIR)
    for path in _generation_files(entries, gen_id):
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


def entry_file_name(esp: Path, gen_id: int) -> str:
    """The name generation `gen_id`'s published entry has now in `ESP/loader/entries` (its
    boot counter moves it: `kodos-N+3.conf`, `kodos-N+2-1.conf`, `kodos-N.conf` once blessed);
    `entry_name(gen_id)` when it has none."""
    published = [
        path.name
        for path in _generation_files(_esp_directory(esp, ENTRIES_DIR), gen_id)
        if not path.name.endswith(STAGED_SUFFIX)
    ]
    return published[0] if published else entry_name(gen_id)


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
    """Make a newly built generation `gen_id` boot by default: its staged entry published,
    then loader.conf's `default kodos-*` — systemd-boot boots the newest kodos entry whose
    tries are not used up, so a generation that never completes a boot falls back to the one
    before it by itself (docs/generations.md, "Boot counting"). Should that pattern not choose
    `gen_id` (an entry by hand above it), generation N is pinned instead."""
    publish_entry(esp, gen_id)
    newest = NEWEST_DEFAULT if _chosen(esp, NEWEST_DEFAULT) == gen_id else pinned_default(gen_id)
    _write_default(esp, newest)


def pin_default_entry(esp: Path, gen_id: int) -> None:
    """Make generation `gen_id` boot by default whatever its boot counter says (`kodos
    rollback N`): `default kodos-N[.+]*`, which matches its entry under every name boot
    counting gives it, and no other."""
    _write_default(esp, pinned_default(gen_id))


def pinned_default(gen_id: int) -> str:
    """The pattern matching generation `gen_id`'s entry alone: `kodos-N.conf` and
    `kodos-N+…conf` (older systemd-boot keeps the counter in the id), never `kodos-N0.conf`."""
    return f"{_entry_stem(gen_id)}[.+]*"


def _write_default(esp: Path, value: str) -> None:
    """loader.conf's `default` set to `value`, its other lines kept; the file (and `loader/`)
    is created when missing."""
    path = on_esp(esp, LOADER_CONF.parent) / LOADER_CONF.name
    text = rewrite_keys(_loader_conf_text(esp), {"default": value})
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, text)


def default_entry(esp: Path) -> str | None:
    """loader.conf's `default` value (the last one counts, as in systemd-boot), or None."""
    values = key_values(_loader_conf_text(esp)).get("default", [])
    return values[-1] if values else None


def default_entry_id(esp: Path) -> int | None:
    """The generation loader.conf boots by default; None when its default chooses no kodos
    entry (or there is none)."""
    entry = _default_entry_name(esp)
    return _generation_id(entry) if entry is not None else None


def _default_entry_name(esp: Path) -> str | None:
    """The entry loader.conf's default boots (`arch`, `kodos-3`): the name itself when the
    value is one (`arch.conf`, or `arch` as kodos has always read it), the generation chosen
    when it is a pattern (`_chosen`); None without a default or a match."""
    value = default_entry(esp)
    if not value:
        return None
    if not any(c in value for c in "*?["):
        return value.removesuffix(".conf")
    pinned = re.fullmatch(_GENERATION_ENTRY + re.escape("[.+]*"), value)
    if pinned:  # kodos's own pin means generation N, whatever its entry is named now
        return _entry_stem(int(pinned["id"]))
    gen_id = _chosen(esp, value)
    return _entry_stem(gen_id) if gen_id is not None else None


def _chosen(esp: Path, pattern: str) -> int | None:
    """The generation whose entry systemd-boot boots for `default pattern`: the first
    matching entry in its order. kodos writes its entries with `sort-key kodos` and `version
    N`, so among them that order is: entries with tries left before used-up ones, then newest
    first, then more tries left, fewer done. None when the pattern also matches an entry kodos
    did not write (whose place in that order kodos does not compute) or matches none."""
    directory = _esp_directory(esp, ENTRIES_DIR)
    if directory is None:
        return None
    matching = [p.name for p in directory.iterdir() if default_matches(pattern, p.name)]
    ranked = []
    for name in matching:
        parsed = parse_entry_file(name)
        gen_id = _generation_id(parsed.entry) if parsed else None
        if parsed is None or gen_id is None:
            return None
        left = -1 if parsed.tries_left is None else parsed.tries_left
        ranked.append((left == 0, -gen_id, -left, parsed.tries_done or 0, gen_id))
    return min(ranked)[-1] if ranked else None


def entry_states(esp: Path) -> dict[int, BootState]:
    """What boot counting says of each generation's entry: good, on trial, or bad."""
    states = {}
    for path in _entry_files(_esp_directory(esp, ENTRIES_DIR)):
        parsed = parse_entry_file(path.name)
        gen_id = _generation_of(path.name)
        if parsed is not None and gen_id is not None:
            states[gen_id] = parsed.state
    return states


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


def _generation_files(directory: Path | None, gen_id: int) -> list[Path]:
    """Generation `gen_id`'s entry files in `directory`, boot-counted and staged ones too."""
    if directory is None or not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if _generation_of(p.name.removesuffix(STAGED_SUFFIX)) == gen_id
    )


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
