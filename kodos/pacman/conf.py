"""pacman.conf and the mirror list as text: read their repositories, edit one section at a time.

kodos manages the repositories a configuration needs (`[core]`, `[extra]`, each
`Include = /etc/pacman.d/mirrorlist`) and the mirror list they include — never the rest of
pacman.conf: its options, comments and other repositories stay exactly as the machine has
them. So these functions edit the text section by section and keep every other line.

A section kodos adds carries `ADDED_MARK`, a comment line just above its header. It records,
inside the generation (so it rolls back with it), that kodos added the section: when the
configuration drops the repository, only a section with the mark is removed; one the machine
had before stays.

Reading sees one text here (`repositories`); `kodos.pacman.confread` follows a root's
`Include` lines into the files they name, as pacman does, and hands the lines to
`repository_sections`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from kodos.text.lazyregex import lazy

PACMAN_CONF = "/etc/pacman.conf"
ARCH_REPOS = ("core", "extra")
"""The repositories of a configuration's `arch` repo, in pacman.conf order."""
MIRRORLIST = "/etc/pacman.d/mirrorlist"
"""Where Arch keeps the servers its repositories include."""
ADDED_MARK = "# Added by kodos (repos): removed when the configuration no longer needs it."
MIRRORLIST_HEADER = "# Written by kodos from the configuration's repos.arch_repo mirror."
OPTIONS = "options"
SERVER_KEYS = ("Server", "Include")
"""The lines of a repository section that say where its packages come from."""

# As pacman 6 and 7 read a header: the whole line, no comment after it.
_HEADER = lazy(r"^\s*\[(.+)\]\s*$")
_KEY_VALUE = lazy(r"^\s*([A-Za-z]+)\s*=\s*(.*?)\s*$")
_GLOB = "*?["


def server_line(mirror: str) -> str:
    """Arch's convention for one server of a mirror list: `Server = URL/$repo/os/$arch`."""
    return mirror.rstrip("/") + "/$repo/os/$arch"


def mirrorlist_text(servers: list[str]) -> str:
    """The mirror list kodos writes: its header and one `Server =` line each."""
    return "\n".join([MIRRORLIST_HEADER, *(f"Server = {server}" for server in servers)]) + "\n"


def mirrorlist_servers(text: str) -> list[str]:
    """The servers a mirror list holds, in order (commented ones are not servers)."""
    return [value for key, value in _key_values(text.splitlines()) if key == "Server"]


@dataclass(frozen=True, slots=True)
class Line:
    """One line pacman reads: its text (stripped) and where it is written."""

    path: str
    """The file, as the machine names it (`/etc/pacman.d/repos.conf`)."""
    number: int
    text: str
    within: tuple[int, ...] = ()
    """The sections (by their index in the parse) current when each `Include` leading to this
    line was read: lines an `Include` brings into a section are that section's servers, not
    lines written in it."""

    @property
    def key_value(self) -> tuple[str, str] | None:
        """(key, value) of a directive; the value is empty when the line has no `=`."""
        if not self.text or self.text.startswith("#") or self.is_header:
            return None
        key, _, value = self.text.partition("=")
        return key.strip(), value.strip()

    @property
    def is_header(self) -> bool:
        return self.text.startswith("[") and self.text.endswith("]") and len(self.text) > 2


@dataclass(frozen=True, slots=True)
class Repository:
    """One repository section: where it takes its packages from, and who added it."""

    name: str
    servers: tuple[str, ...]
    """Its `Server = URL` and `Include = PATH` lines, each as written (`Include = PATH`)."""
    added_by_kodos: bool
    path: str = PACMAN_CONF
    """The file its header is in (pacman.conf, or a file it includes): the one to edit."""

    @property
    def include(self) -> str | None:
        """The one file it includes, when that is all it has."""
        if len(self.servers) == 1 and self.servers[0].startswith("Include = "):
            return self.servers[0].removeprefix("Include = ")
        return None


def repositories(text: str) -> dict[str, Repository]:
    """Every repository section of one pacman.conf text, its includes not followed (see
    `repository_sections`; `kodos.pacman.confread` follows them)."""
    return repository_sections(lines_of(text, PACMAN_CONF))


def repository_sections(lines: list[Line]) -> dict[str, Repository]:
    """Every repository section pacman reads, in its order (`[options]` is none; the first of
    two sections of one name counts). A section's servers are its `Server` and `Include`
    lines as written in it — not the lines its includes bring in."""
    found: dict[str, Repository] = {}
    index = -1
    section: Repository | None = None
    servers: list[str] = []
    previous: dict[str, Line] = {}  # the line above, per file: a section's mark is there

    def close() -> None:
        if section is not None and section.name != OPTIONS:
            found.setdefault(section.name, replace(section, servers=tuple(servers)))

    for line in lines:
        if line.is_header:
            close()
            index += 1
            above = previous.get(line.path)
            marked = above is not None and above.text == ADDED_MARK
            section, servers = Repository(line.text[1:-1], (), marked, line.path), []
        elif (pair := line.key_value) and pair[0] in SERVER_KEYS and index not in line.within:
            servers.append(f"{pair[0]} = {pair[1]}")
        previous[line.path] = line
    close()
    return found


def flattened(lines: list[Line]) -> str:
    """The lines as one pacman.conf, without their `Include` lines: what pacman reads when
    `lines` already hold what each includes."""
    return "\n".join(line.text for line in lines if not _is_include(line)) + "\n"


def _is_include(line: Line) -> bool:
    pair = line.key_value
    return pair is not None and pair[0] == "Include"


def lines_of(text: str, path: str) -> list[Line]:
    """The lines of one file, as pacman reads them (stripped)."""
    return [Line(path, number, raw.strip()) for number, raw in enumerate(text.splitlines(), 1)]


def with_repository(text: str, name: str, include: str) -> str:
    """`text` with section `[name]` taking its servers from `include` alone: an existing
    section keeps its other lines (SigLevel, Usage, comments), its Server and Include lines
    replaced; a missing one is added at the end, marked as kodos's."""
    lines = text.splitlines()
    wanted = f"Include = {include}"
    for section, start, end in _sections(lines):
        if section == name:
            body = [line for line in lines[start + 1 : end] if not _is_server(line)]
            kept = [*lines[: start + 1], wanted, *body, *lines[end:]]
            return "\n".join(kept) + "\n"
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join([*lines, "", ADDED_MARK, f"[{name}]", wanted]) + "\n"


def without_repository(text: str, name: str) -> str:
    """`text` without section `[name]` (its mark included); unchanged when it has none."""
    lines = text.splitlines()
    for section, start, end in _sections(lines):
        if section == name:
            first = start - 1 if _marked(lines, start) else start
            while end > start + 1 and not lines[end - 1].strip():
                end -= 1  # the blank lines before the next section stay with it
            before, after = lines[:first], lines[end:]
            while before and not before[-1].strip() and (not after or not after[0].strip()):
                before.pop()  # one blank line between sections, none at the end
            return "\n".join([*before, *after]) + "\n"
    return text


def _sections(lines: list[str]) -> list[tuple[str, int, int]]:
    """(name, header line, end) of each section; `end` is the next header's line."""
    headers = [(i, m[1]) for i, line in enumerate(lines) if (m := _HEADER.match(line))]
    ends = [i for i, _ in headers[1:]] + [len(lines)] if headers else []
    return [(name, start, end) for (start, name), end in zip(headers, ends, strict=True)]


def _key_values(lines: list[str]) -> list[tuple[str, str]]:
    return [(m[1], m[2]) for line in lines if (m := _KEY_VALUE.match(line))]


def _is_server(line: str) -> bool:
    match = _KEY_VALUE.match(line)
    return match is not None and match[1] in SERVER_KEYS


def _marked(lines: list[str], header: int) -> bool:
    return header > 0 and lines[header - 1].strip() == ADDED_MARK


def repository_attributes(repository: Repository) -> Mapping[str, object]:
    """A section as the `pacman.repository` resource's actual attributes (docs/resources.md):
    `include` when it includes one file and nothing else, `servers` otherwise, and
    `added_by: "kodos"` when kodos added it."""
    attributes: dict[str, object] = {}
    if repository.include is not None:
        attributes["include"] = repository.include
    else:
        attributes["servers"] = list(repository.servers)
    if repository.added_by_kodos:
        attributes["added_by"] = "kodos"
    return attributes
