"""The tar archives pacman's repositories are made of, read without pacman or libarchive.

A sync database (`REPO.db`) and a file-list database (`REPO.files`) are tars of `NAME-VERSION/`
entry directories holding `desc` (and, in `.files`, `files`; before pacman 5, `depends`),
compressed with gzip (repo-add's default), xz, bzip2 or zstd, or not at all. Compression is
recognised by magic bytes, as libarchive does for pacman.

Two ways to read one: `read_entries` decompresses it whole — the fastest way for a sync
database, some 20 MB unpacked for Arch's `extra` — and `stream_entries` walks it as a stream
for the file lists, which unpack to hundreds of MB. Both read plain ustar (what repo-add's
bsdtar writes) with their own header walk, far faster than `tarfile`; the whole-archive reader
falls back to `tarfile` for anything else. Only a zstd archive needs a process before Python
3.14: the `zstd` decompressor, its argv fixed and the data on stdin.
"""

from __future__ import annotations

import bz2
import gzip
import importlib
import io
import lzma
import subprocess
import tarfile
import zlib
from collections.abc import Callable, Container, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from kodos.errors import KodosError

Entry = tuple[str, str, bytes]
"""(entry directory `NAME-VERSION`, file name, content) of one file of a database."""


class PacmanDbError(KodosError):
    """A database file could not be read or is not in the format pacman writes."""

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


def _zstd_decompress(db_file: Path, data: bytes) -> bytes:
    # Python 3.14 has zstd in the standard library; before that the zstd tool does the work.
    try:
        zstd = importlib.import_module("compression.zstd")
    except ImportError:
        pass
    else:
        return bytes(zstd.decompress(data))
    argv = ["zstd", "--decompress", "--stdout", "--quiet"]
    try:
        # Fixed argv, data on stdin: nothing from the database reaches the command line.
        done = subprocess.run(argv, input=data, capture_output=True, check=False)
    except FileNotFoundError as err:
        raise PacmanDbError(db_file, "zstd-compressed, and no zstd tool is installed") from err
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip()
        raise PacmanDbError(db_file, f"zstd could not decompress it: {message}")
    return done.stdout


# Compression is recognised by its magic bytes, as libarchive does for pacman: the `.db` name
# says nothing (repo-add's `core.db` is a symlink to `core.db.tar.gz`, `.tar.zst`, ...).
DECOMPRESSORS: dict[bytes, Callable[[bytes], bytes]] = {
    b"\x1f\x8b": gzip.decompress,
    b"\xfd7zXZ\x00": lzma.decompress,
    b"BZh": bz2.decompress,
}
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def read_database_bytes(db_file: Path) -> bytes:
    """The file as it is on disk (compressed)."""
    try:
        return db_file.read_bytes()
    except OSError as err:
        raise PacmanDbError(db_file, f"cannot read: {err.strerror or err}") from err


def _tar_bytes(db_file: Path, data: bytes | None = None) -> bytes:
    """The uncompressed tar; decompressing up front puts every damage error in one place.
    `data`: the file's bytes when the caller has read them already."""
    if data is None:
        data = read_database_bytes(db_file)
    if data.startswith(ZSTD_MAGIC):
        return _zstd_decompress(db_file, data)
    for magic, decompress in DECOMPRESSORS.items():
        if data.startswith(magic):
            try:
                return decompress(data)
            except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as err:
                raise PacmanDbError(db_file, f"damaged compressed data: {err}") from err
    return data  # an uncompressed tar, or not a database at all (tarfile will say)


def _ustar_files(data: bytes, leaves: Container[str]) -> list[tuple[str, bytes]] | None:
    """(name, content) of the regular files of a plain ustar archive — what repo-add's bsdtar
    writes — whose last path component is in `leaves`, twenty times faster than tarfile.
    None when the archive holds anything else (pax or GNU long-name records, an unexpected
    entry type, damage): tarfile then reads it. Only wanted files are copied out: a `.files`
    database is mostly file lists, and a `.db` reader must not pay for them. Header fields
    are read in place: copying each 512-byte header costs a third of the walk.
    """
    files: list[tuple[str, bytes]] = []
    offset, end = 0, len(data)
    while offset + 512 <= end:
        kind = data[offset + 156]
        if data[offset + 257 : offset + 262] != b"ustar" or kind not in _USTAR_KINDS:
            return files if data[offset : offset + 512] == _ZERO_BLOCK else None
        try:
            size = int(data[offset + 124 : offset + 136].rstrip(b" \0") or b"0", 8)
        except ValueError:
            return None
        start = offset + 512
        if kind != _DIRECTORY:
            name = _ustar_name(data, offset)
            if name is None:
                return None
            if name.rpartition("/")[2] in leaves:
                files.append((name, data[start : start + size]))
        offset = start + (size + 511) // 512 * 512
    return None  # no end-of-archive marker: truncated, let tarfile judge


def _ustar_name(data: bytes, offset: int) -> str | None:
    name_end = data.find(b"\0", offset, offset + 100)
    prefix_end = data.find(b"\0", offset + 345, offset + 500)
    try:
        name = data[offset : name_end if name_end != -1 else offset + 100].decode()
        prefix = data[offset + 345 : prefix_end if prefix_end != -1 else offset + 500].decode()
    except UnicodeDecodeError:
        return None
    return f"{prefix}/{name}" if prefix else name


_USTAR_KINDS = frozenset(b"05\0")  # regular files (old and new style) and directories
_DIRECTORY = ord("5")
_ZERO_BLOCK = bytes(512)


def _tarfile_files(db_file: Path, data: bytes, leaves: Container[str]) -> list[tuple[str, bytes]]:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as archive:
            files = []
            for member in archive:
                if not member.isfile() or member.name.rpartition("/")[2] not in leaves:
                    continue
                extracted = archive.extractfile(member)
                if extracted is not None:
                    files.append((member.name, extracted.read()))
            return files
    except (tarfile.TarError, EOFError) as err:
        raise PacmanDbError(db_file, f"not a readable tar archive: {err}") from err


def read_entries(
    db_file: Path, leaves: Container[str], raw: bytes | None = None
) -> Iterator[tuple[str, str, bytes]]:
    """(entry directory, file name, content) of each file of a sync or files database whose
    name is in `leaves` (`desc` and `depends` in `NAME.db`, `files` in `NAME.files`), read
    whole into memory: the fastest way for a sync database. The entry directory is
    `NAME-VERSION`, as repo-add names it. `raw`: the file's bytes, when read already."""
    data = _tar_bytes(db_file, raw)
    files = _ustar_files(data, leaves)
    for name, content in files if files is not None else _tarfile_files(db_file, data, leaves):
        entry, _, leaf = name.rpartition("/")
        yield entry, leaf, content


# The standard library's streaming readers, by the same magic bytes as DECOMPRESSORS.
_READERS: dict[bytes, Callable[[Path], _Reader]] = {
    b"\x1f\x8b": gzip.GzipFile,
    b"\xfd7zXZ\x00": lzma.LZMAFile,
    b"BZh": bz2.BZ2File,
}
_CHUNK = 1 << 20


class _Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...

    def close(self) -> None: ...


class NotPlainUstar(Exception):
    """The stream holds something `stream_entries` does not read (pax or GNU records,
    damage): `read_entries` reads those, and says what is wrong with a damaged archive."""


@contextmanager
def _decompressed(path: Path) -> Iterator[_Reader]:
    """The database's tar as a stream, whatever its compression (recognised by magic)."""
    with path.open("rb") as raw:
        magic = raw.read(6)
    if magic.startswith(ZSTD_MAGIC):
        with _zstd_stream(path) as reader:
            yield reader
        return
    make = next((reader for m, reader in _READERS.items() if magic.startswith(m)), None)
    reader = make(path) if make is not None else path.open("rb")
    try:
        yield reader
    finally:
        reader.close()


@contextmanager
def _zstd_stream(path: Path) -> Iterator[_Reader]:
    try:
        zstd = importlib.import_module("compression.zstd")  # Python 3.14
    except ImportError:
        pass
    else:
        with zstd.open(path, "rb") as reader:
            yield reader
        return
    # Fixed argv, the file on stdin: nothing from the database reaches the command line.
    argv = ["zstd", "--decompress", "--stdout", "--quiet"]
    try:
        with path.open("rb") as source:
            process = subprocess.Popen(
                argv, stdin=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE
            )
    except FileNotFoundError as err:
        raise PacmanDbError(path, "zstd-compressed, and no zstd tool is installed") from err
    with process:
        assert process.stdout is not None and process.stderr is not None
        yield process.stdout
        process.stdout.read()  # drain what the walker did not need, so zstd can finish
        message = process.stderr.read().decode(errors="replace").strip()
    if process.returncode != 0:
        raise PacmanDbError(path, f"zstd could not decompress it: {message}")


def _fill(reader: _Reader, buffer: bytes, pos: int, need: int) -> tuple[bytes, int]:
    """`buffer` from `pos` on, extended from `reader` to at least `need` bytes (or to EOF)."""
    if len(buffer) - pos >= need:
        return buffer, pos
    parts, have = [buffer[pos:]], len(buffer) - pos
    while have < need:
        chunk = reader.read(max(_CHUNK, need - have))
        if not chunk:
            break
        parts.append(chunk)
        have += len(chunk)
    return b"".join(parts), 0


def _ustar_stream(reader: _Reader, leaves: Container[str]) -> Iterator[tuple[str, bytes]]:
    """(name, content) of the plain-ustar regular files whose last name part is in `leaves`,
    read from a stream; raises `NotPlainUstar` at anything else."""
    buffer, pos = b"", 0
    while True:
        buffer, pos = _fill(reader, buffer, pos, 512)
        header = buffer[pos : pos + 512]
        if len(header) < 512:
            raise NotPlainUstar  # truncated: no end-of-archive marker
        if header == _ZERO_BLOCK:
            return
        kind = header[156:157]
        if header[257:262] != b"ustar" or kind not in (b"0", b"\0", b"5"):
            raise NotPlainUstar
        try:
            size = int(header[124:136].rstrip(b" \0") or b"0", 8)
            name = header[:100].split(b"\0", 1)[0].decode()
            prefix = header[345:500].split(b"\0", 1)[0].decode()
        except ValueError as err:  # UnicodeDecodeError is a ValueError too
            raise NotPlainUstar from err
        total = 512 + (size + 511) // 512 * 512
        buffer, pos = _fill(reader, buffer, pos, total)
        if len(buffer) - pos < total:
            raise NotPlainUstar
        if kind != b"5" and name.rpartition("/")[2] in leaves:
            yield (f"{prefix}/{name}" if prefix else name), buffer[pos + 512 : pos + 512 + size]
        pos += total


@contextmanager
def stream_entries(
    db_file: Path, leaves: Container[str]
) -> Iterator[Iterator[tuple[str, str, bytes]]]:
    """Like `read_entries`, but decompressing and walking the archive as a stream: memory
    stays at a few megabytes for a file list that unpacks to hundreds. Iterating raises
    `NotPlainUstar` for an archive it does not read (then use `read_entries`), and
    `PacmanDbError` for damaged compressed data."""
    try:
        with _decompressed(db_file) as reader:
            yield _entries(_ustar_stream(reader, leaves))
    except (OSError, EOFError, zlib.error, lzma.LZMAError) as err:
        raise PacmanDbError(db_file, f"damaged compressed data: {err}") from err


def _entries(files: Iterable[tuple[str, bytes]]) -> Iterator[Entry]:
    for name, content in files:
        entry, _, leaf = name.rpartition("/")
        yield entry, leaf, content
