"""Where a user's home generations live: `$XDG_STATE_HOME/kodos/home/`.

    ~/.local/state/kodos/home/
        1/manifest.json        what generation 1 places (written last: no manifest, no generation)
        1/files/<path>         its own copy of every file it places (a rollback places these)
        1/tree/<name>/         a dotfile repository's commit, exported (links "@gen/…" lead here)
        current -> 1           the active generation, switched by one rename
        kodos-home.lock        held by the apply or rollback running now

The directory is the user's alone (0700): the lock refuses it otherwise. Links into a
generation (`@gen/tree/…`) are written through `current`, so they stay the same links from
one generation to the next and a rollback switches what they show by switching `current`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from kodos.errors import KodosError
from kodos.home.items import GENERATION_PREFIX
from kodos.home.manifest import MANIFEST_NAME, Entry, Manifest, read_manifest
from kodos.system.atomic import fsync_directory

CURRENT = "current"
FILES = "files"
LOCK_NAME = "home"  # kodos-home.lock


class StoreError(KodosError):
    """A home generation is missing or damaged."""


class Store:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    @classmethod
    def of(cls, state_dir: Path, home: Path, *, create: bool = True) -> Store:
        """The store at `state_dir`. When that is inside the home (the default,
        `~/.local/state/kodos/home`), the way there is checked like any path kodos places — a
        link in it (`~/.local -> /etc`) is refused, never followed — and made unless a plan
        asks (`create=False`: planning writes nothing in the home)."""
        from kodos.home.homefs import Home

        if state_dir.is_relative_to(home):
            with Home(home) as opened:
                inside = (state_dir / "x").relative_to(home).as_posix()
                with opened.directory(inside, create=create):
                    pass
        return cls(state_dir)

    def create(self) -> None:
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        with suppress(FileExistsError):
            os.mkdir(self.directory, 0o700)

    @contextmanager
    def locked(self, command: str, timeout: float) -> Iterator[None]:
        """One user apply or rollback at a time for this home."""
        from kodos.system.lock import machine_lock

        self.create()
        with machine_lock(LOCK_NAME, timeout=timeout, command=command, directory=self.directory,
                          subject="this home"):  # fmt: skip
            yield

    def ids(self) -> list[int]:
        """Every finished generation (one with a manifest), oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(
            int(name)
            for name in os.listdir(self.directory)
            if name.isdigit() and (self.directory / name / MANIFEST_NAME).is_file()
        )

    def current_id(self) -> int | None:
        try:
            target = os.readlink(self.directory / CURRENT)
        except (FileNotFoundError, OSError):
            return None
        if not target.isdigit() or not (self.directory / target / MANIFEST_NAME).is_file():
            raise StoreError(
                f"{self.directory / CURRENT} points to {target!r}, not a home generation "
                "(run `kodos user rollback N` to choose one)"
            )
        return int(target)

    def manifest(self, generation: int) -> Manifest:
        path = self.directory / str(generation)
        if not (path / MANIFEST_NAME).is_file():
            known = ", ".join(str(n) for n in self.ids()) or "none"
            raise StoreError(f"no home generation {generation} (there are: {known})")
        manifest = read_manifest(path)
        if manifest.generation != generation:
            raise StoreError(
                f"{path / MANIFEST_NAME}: generation: {manifest.generation}, but it is in the "
                f"directory of generation {generation}"
            )
        return manifest

    def next_id(self) -> int:
        existing = [int(n) for n in os.listdir(self.directory) if n.isdigit()]
        return max(existing, default=0) + 1

    def generation_dir(self, generation: int) -> Path:
        return self.directory / str(generation)

    def write_file_copies(self, generation: int, copies: list[tuple[Entry, bytes]]) -> None:
        """The generation's own copy of each file it places. Written in place, not through a
        temporary file: nobody reads an unfinished generation (it has no manifest yet). All
        of them are made durable at once (`syncfs` of the store's file system) before the
        manifest is written — one flush instead of an fsync per file and per directory."""
        files = self.generation_dir(generation) / FILES
        for entry, content in copies:
            path = files / entry.path
            path.parent.mkdir(parents=True, exist_ok=True)
            flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
            with os.fdopen(os.open(path, flags, 0o600), "wb") as stream:
                stream.write(content)
                os.fchmod(stream.fileno(), entry.mode or 0o644)
        if copies:
            from kodos.system.syncfs import sync_file_system

            sync_file_system(self.directory)

    def file_copy(self, generation: int, entry: Entry) -> bytes:
        """The generation's copy of a file it places, checked against its manifest."""
        path = self.generation_dir(generation) / FILES / entry.path
        try:
            content = path.read_bytes()
        except OSError as err:
            raise StoreError(f"{path}: {(err.strerror or str(err)).lower()}") from None
        if hashlib.sha256(content).hexdigest() != entry.sha256:
            raise StoreError(f"{path}: its content is not what the manifest records; refusing it")
        return content

    def link_target(self, target: str) -> str:
        """A link's target as placed: `@gen/<rel>` through the `current` link."""
        if target.startswith(GENERATION_PREFIX):
            return str(self.directory / CURRENT / target.removeprefix(GENERATION_PREFIX))
        return target

    def switch_current(self, generation: int) -> None:
        temporary = self.directory / f".{CURRENT}-{os.getpid()}"
        temporary.unlink(missing_ok=True)
        os.symlink(str(generation), temporary)
        os.replace(temporary, self.directory / CURRENT)
        fsync_directory(self.directory)
