"""A root's pacman.conf read as pacman reads it: every `Include` followed, inside the root.

pacman (6.x and 7.x, `conf.c: process_include`) reads `Include = PATTERN` as if the lines of the
files the glob(3) pattern matches (sorted) stood in place of that line: each is parsed in the
section state of the including line, and a section header inside an included file starts that
section for the rest of the parse. So `Include = /etc/pacman.d/repos.conf` holding `[core]` and
`[extra]` gives pacman both repositories (and the lines after the `Include` belong to `[extra]`);
`Include = /etc/pacman.d/mirrorlist` inside `[core]` gives `[core]` the list's servers. A
pattern matching nothing is read as a file name and pacman stops ("could not be read"); an
`Include` without a value stops it too, and includes nest at most 10 deep.

`read_lines` flattens the files into the lines pacman reads, each with the file and line number
it comes from; `repositories` finds the sections in them (with the file each header is in, the
one to edit); `rendered` is the single file to hand pacman's `--config` when it runs on the
root: the same lines with every include already inlined, so nothing is read from the host
(pacman does not prefix `Include` paths with `--root`). Paths are resolved inside the root
(`kodos.system.rootfs`: links re-rooted as under chroot, never followed out of it); an
`Include` kodos cannot follow the way pacman would is a `PacmanConfError` naming the file and
line.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from kodos.errors import KodosError
from kodos.pacman import conf
from kodos.pacman.conf import PACMAN_CONF, Line, Repository
from kodos.system.rootfs import checked_in_root, read_text_in_root

MAX_DEPTH = 10
"""pacman's `config_max_recursion`: pacman.conf is at depth 0, and a file at this depth may
include no other."""
_GLOB = "*?["


class PacmanConfError(KodosError):
    """pacman.conf (or a file it includes) cannot be read as pacman reads it."""


def read_lines(root: Path | str, path: str = PACMAN_CONF) -> list[Line]:
    """Every line of `path` inside `root`, each `Include` line followed by the lines of the
    files it names (comments and blank lines kept: a section's mark is a comment)."""
    return _Reader(root).read(path, 0, ())


class _Reader:
    def __init__(self, root: Path | str) -> None:
        self.root = root
        self.sections = 0  # headers seen so far: the current section's index + 1

    def read(self, path: str, depth: int, within: tuple[int, ...]) -> list[Line]:
        lines: list[Line] = []
        text = read_text_in_root(self.root, path)
        for number, raw in enumerate(text.splitlines(), start=1):
            line = Line(path, number, raw.strip(), within)
            lines.append(line)
            if line.is_header:
                self.sections += 1
            if (pair := line.key_value) is not None and pair[0] == "Include":
                lines += self.include(line, pair[1], depth, (*within, self.sections - 1))
        return lines

    def include(self, line: Line, value: str, depth: int, within: tuple[int, ...]) -> list[Line]:
        where = f"{line.path} line {line.number}: Include"
        if not value:
            raise PacmanConfError(f"{where} needs a value (pacman stops at it)")
        if depth >= MAX_DEPTH:
            raise PacmanConfError(
                f"{where} = {value}: includes nest deeper than {MAX_DEPTH} (pacman's limit; "
                "does a file include itself?)"
            )
        if not value.startswith("/"):
            raise PacmanConfError(
                f"{where} = {value}: not an absolute path (pacman would read it relative to "
                "the directory it is started in)"
            )
        lines: list[Line] = []
        for included in self.matches(where, value):
            try:
                lines += self.read(included, depth + 1, within)
            except FileNotFoundError:
                raise PacmanConfError(f"{where} = {value}: no such file") from None
            except KodosError as err:
                if isinstance(err, PacmanConfError):
                    raise
                raise PacmanConfError(f"{where} = {value}: {err}") from None
            except (OSError, UnicodeDecodeError) as err:
                raise PacmanConfError(f"{where} = {value}: not readable ({err})") from None
        return lines

    def matches(self, where: str, value: str) -> list[str]:
        """The files a pattern names, sorted as glob(3) returns them; the pattern itself when
        it has no wildcard or matches nothing (pacman's GLOB_NOCHECK: then it is not found)."""
        directory, _, leaf = value.rpartition("/")
        if any(char in directory for char in _GLOB):
            raise PacmanConfError(
                f"{where} = {value}: kodos follows a wildcard only in the file name"
            )
        if not any(char in leaf for char in _GLOB):
            return [value]
        try:
            host = checked_in_root(self.root, directory or "/")
            names = os.listdir(host)
        except FileNotFoundError:
            return [value]
        except (OSError, KodosError) as err:
            raise PacmanConfError(f"{where} = {value}: {err}") from None
        found = sorted(n for n in names if fnmatch.fnmatchcase(n, leaf) and not n.startswith("."))
        return [f"{directory}/{name}" for name in found] or [value]


def read_repositories(root: Path | str, path: str = PACMAN_CONF) -> dict[str, Repository]:
    """The repositories of `root`'s pacman.conf, includes followed (see `repositories`)."""
    return conf.repository_sections(read_lines(root, path))


def rendered(root: Path | str, path: str = PACMAN_CONF) -> str:
    """pacman.conf as one file, each `Include` replaced by what it includes: what pacman run
    on `root` reads with `--config`, none of it from the host."""
    return conf.flattened(read_lines(root, path))
