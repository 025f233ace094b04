"""pacman.conf and the mirror list as text: read their repositories, edit one section at a time.

kodos manages the repositories a configuration needs (`[core]`, `[extra]`, each
`Include = /etc/pacman.d/mirrorlist`) and the mirror list they include — never the rest of
pacman.conf: its options, comments and other repositories stay exactly as the machine has
them. So these functions edit the text section by section and keep every other line.

A section kodos adds carries `ADDED_MARK`, a comment line just above its header. It records,
inside the generation (so it rolls back with it), that kodos added the section: when the
configuration drops the repository, only a section with the mark is removed; one the machine
had before stays.

`for_root` renders the copy pacman reads when it runs on another root: pacman does not prefix
`Include` paths with `--root`, so `Include = /etc/pacman.d/mirrorlist` would be read from the
host; the copy points each one inside the root instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from kodos.text.lazyregex import lazy

ARCH_REPOS = ("core", "extra")
"""The repositories of a configuration's `arch` repo, in pacman.conf order."""
MIRRORLIST = "/etc/pacman.d/mirrorlist"
"""Where Arch keeps the servers its repositories include."""
ADDED_MARK = "# Added by kodos (repos): removed when the configuration no longer needs it."
MIRRORLIST_HEADER = "# Written by kodos from the configuration's repos.arch_repo mirror."
OPTIONS = "options"
SERVER_KEYS = ("Server", "Include")
"""The lines of a repository section that say where its packages come from."""

_HEADER = lazy(r"^\s*\[([^\]\s]+)\]\s*(?:#.*)?$")
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
class Repository:
    """One repository section: where it takes its packages from, and who added it."""

    name: str
    servers: tuple[str, ...]
    """Its `Server = URL` and `Include = PATH` lines, each as written (`Include = PATH`)."""
    added_by_kodos: bool

    @property
    def include(self) -> str | None:
        """The one file it includes, when that is all it has."""
        if len(self.servers) == 1 and self.servers[0].startswith("Include = "):
            return self.servers[0].removeprefix("Include = ")
        return None


def repositories(text: str) -> dict[str, Repository]:
    """Every repository section of a pacman.conf, in its order (`[options]` is none)."""
    found: dict[str, Repository] = {}
    lines = text.splitlines()
    for name, start, end in _sections(lines):
        if name == OPTIONS:
            continue
        pairs = _key_values(lines[start + 1 : end])
        servers = tuple(f"{key} = {value}" for key, value in pairs if key in SERVER_KEYS)
        found.setdefault(name, Repository(name, servers, _marked(lines, start)))
    return found


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


def for_root(text: str, resolve: Callable[[str], str]) -> str:
    """The copy of a root's pacman.conf pacman reads when it runs on that root: every absolute
    `Include` path replaced by `resolve(path)` (the host path of that file inside the root).
    A glob's directory is resolved and its pattern kept."""
    out = []
    for line in text.splitlines():
        match = _KEY_VALUE.match(line)
        if match and match[1] == "Include" and match[2].startswith("/"):
            directory, _, leaf = match[2].rpartition("/")
            if any(char in leaf for char in _GLOB):
                path = resolve(directory or "/").rstrip("/") + "/" + leaf
            else:
                path = resolve(match[2])
            line = f"Include = {path}"
        out.append(line)
    return "\n".join(out) + "\n"


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
