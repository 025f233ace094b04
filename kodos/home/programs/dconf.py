"""`configs.dconf(...)`: exactly the declared dconf keys, typed from Lua, set without a session.

Rendering turns the configuration into `DconfKey`s (key path + GVariant text, see `gvariant`):

* `["org/gnome/desktop/interface"] = { color_scheme = "prefer-dark" }` is the key
  `/org/gnome/desktop/interface/color-scheme`: a directory written with dots and no slash
  (`"org.gnome.shell.weather"`, a schema id, as upstream passes it to gsettings) means the
  path with slashes, and `_` in a key name means `-` (GSettings keys never hold `_`; upstream
  rewrites them the same way).
* upstream's relocatable-schema form, a table of paths in place of a value —
  `custom_keybinding = { ["/org/.../custom-keybindings/custom0/"] = { name = "Terminal" } }` —
  means the keys under that path (`/org/.../custom0/name`); the outer key only names the schema.

Applying (`apply`) writes the keys with `dconf load /` and removes dropped ones with
`dconf reset`, each inside a private `dbus-run-session`: dconf writes go through its D-Bus
service, which a session-less apply (or `--for`) does not have. Every other key is left alone.
Reading (`read`) needs no bus: `dconf dump /` reads the user's database file directly.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from kodos.errors import Problem
from kodos.home.items import DconfKey
from kodos.home.programs import gvariant
from kodos.system.runner import CommandFailed, run
from kodos.text.lazyregex import lazy
from kodos.text.location import config_path
from kodos.text.shown import quoted

_DIR_PART = lazy(r"[A-Za-z0-9_.@+-]+")
_KEY_NAME = lazy(r"[A-Za-z0-9_-]+")
_COMPILE_ERROR = lazy(r"\[k\]: (?P<slot>v\d+): invalid value: .*?: (?P<why>[\d,.-]*:.*)$")


def render(
    settings: Mapping[str, Mapping[str, Any]], at: list[str | int]
) -> tuple[list[DconfKey], list[Problem]]:
    """The keys `settings` declares, and the problems found; `at` is the configuration path of
    the `configs.dconf(...)` table (its settings)."""
    keys: list[DconfKey] = []
    problems: list[Problem] = []
    raw: list[tuple[int, str, str]] = []  # (index in keys, text, location) checked by dconf
    for directory in sorted(settings):
        base = _directory(directory)
        if base is None:
            problems.append(Problem(config_path([*at, directory]), _BAD_DIRECTORY))
            continue
        for name, value in sorted(settings[directory].items()):
            for key, leaf, where in _leaves(base, name, value, [*at, directory, name], problems):
                try:
                    text = _text(leaf)
                except gvariant.BadValue as err:
                    problems.append(Problem(config_path(where), str(err)))
                    continue
                if text is None:
                    raw.append((len(keys), leaf, config_path(where)))
                    text = leaf
                keys.append(DconfKey(key, text, config_path(where)))
    for index, canonical in _canonical([(text, where) for _, text, where in raw], problems):
        slot, _, where = raw[index]
        keys[slot] = DconfKey(keys[slot].key, canonical, where)
    keys.sort(key=lambda item: item.key)
    return keys, problems


_BAD_DIRECTORY = (
    'not a dconf directory: write a path like "org/gnome/desktop/interface" '
    "(letters, digits and _.@+- between slashes)"
)


def _directory(text: str) -> str | None:
    """`/org/gnome/x/` for "org/gnome/x", "/org/gnome/x/" or the schema id "org.gnome.x"."""
    stripped = text.strip("/")
    if "/" not in stripped:
        stripped = stripped.replace(".", "/")
    parts = stripped.split("/")
    if not all(_DIR_PART.fullmatch(part) and part not in (".", "..") for part in parts):
        return None
    return "/" + "/".join(parts) + "/"


def _leaves(
    base: str, name: str, value: Any, where: list[str | int], problems: list[Problem]
) -> Iterable[tuple[str, Any, list[str | int]]]:
    """(key path, Lua value, location) for one entry: a value, or a relocatable table."""
    if not isinstance(value, Mapping):
        if not _KEY_NAME.fullmatch(name):
            problems.append(Problem(config_path(where), _BAD_KEY))
            return
        yield base + name.replace("_", "-"), value, where
        return
    for path, inner in sorted(value.items()):
        relocated = _directory(path) if path.startswith("/") else None
        if relocated is None or not isinstance(inner, Mapping):
            problems.append(Problem(config_path([*where, path]), _BAD_RELOCATION))
            continue
        for key, leaf in sorted(inner.items()):
            if not _KEY_NAME.fullmatch(key) or isinstance(leaf, Mapping):
                problems.append(Problem(config_path([*where, path, key]), _BAD_KEY))
                continue
            yield relocated + key.replace("_", "-"), leaf, [*where, path, key]


_BAD_KEY = "not a dconf key name: letters, digits, _ and - only (_ is written as -)"
_BAD_RELOCATION = (
    "a table here is upstream's relocatable form: its keys must be absolute dconf paths "
    'like "/org/gnome/settings-daemon/plugins/media-keys/custom-keybindings/custom0/", '
    "each holding a table of key = value"
)


def _text(value: Any) -> str | None:
    """GVariant text for a plain value; None for a string of GVariant text (dconf checks it)."""
    if isinstance(value, str) and gvariant.is_gvariant_text(value):
        return None
    if isinstance(value, bool | int | float | str):
        return gvariant.plain_value(value)
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return gvariant.plain_value(list(value))
    raise gvariant.BadValue("a dconf value is a string, number, boolean or list of strings")


def _canonical(texts: list[tuple[str, str]], problems: list[Problem]) -> list[tuple[int, str]]:
    """GVariant texts from the configuration, checked and printed by dconf itself (`dconf
    compile` into a scratch database, `dconf dump` of it): (index, text as dconf prints it)
    for the valid ones; a problem for each invalid one."""
    pending = dict(enumerate(texts))
    while pending:
        with tempfile.TemporaryDirectory(prefix="kodos-dconf-") as scratch:
            result = _compile_and_dump(Path(scratch), {i: text for i, (text, _) in pending.items()})
        if isinstance(result, dict):
            return sorted(result.items())
        index, why = result
        text, where = pending.pop(index)
        problems.append(
            Problem(where, f"{quoted(text)} is not valid GVariant text ({why})", _RAW_HINT)
        )
    return []


_RAW_HINT = (
    "a string starting with @ [ ( { or a type keyword is read as GVariant text; "
    "write a plain string that starts so as \"@s '...'\""
)


def _compile_and_dump(scratch: Path, texts: dict[int, str]) -> dict[int, str] | tuple[int, str]:
    keyfiles = scratch / "keyfiles"
    keyfiles.mkdir()
    lines = ["[k]", *(f"v{index}={text}" for index, text in texts.items())]
    (keyfiles / "kodos").write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = run(["dconf", "compile", str(scratch / "db"), str(keyfiles)], check=False)
    if done.returncode != 0:
        match = _COMPILE_ERROR.search(done.stderr.strip().splitlines()[-1])
        if match is None:
            raise CommandFailed(done.args, done.returncode, done.stderr)
        return int(match["slot"][1:]), match["why"].replace(":", ": ", 1)
    profile = scratch / "profile"
    profile.write_text(f"file-db:{scratch / 'db'}\n", encoding="utf-8")
    dumped = parse_dump(run(["dconf", "dump", "/"], env={"DCONF_PROFILE": str(profile)}).stdout)
    return {index: dumped[f"/k/v{index}"] for index in texts}


def parse_dump(text: str) -> dict[str, str]:
    """`dconf dump /` output → key path → GVariant text."""
    values: dict[str, str] = {}
    directory = "/"
    for line in text.splitlines():
        if line.startswith("[") and line.endswith("]"):
            group = line[1:-1].strip("/")
            directory = f"/{group}/" if group else "/"
        elif "=" in line:
            name, _, value = line.partition("=")
            values[directory + name] = value
    return values


def read(keys: Iterable[str]) -> dict[str, str | None]:
    """The user's current value of each key (GVariant text as dconf prints it), None where the
    user's database has none. Needs no session: `dconf dump` reads the database file."""
    current = parse_dump(run(["dconf", "dump", "/"]).stdout)
    return {key: current.get(key) for key in keys}


def keyfile(values: Mapping[str, str]) -> str:
    """The `dconf load /` input that sets `values` (key path → GVariant text)."""
    groups: dict[str, list[str]] = {}
    for key, value in sorted(values.items()):
        directory, _, name = key.rpartition("/")
        groups.setdefault(directory.strip("/") or "/", []).append(f"{name}={value}")
    return "".join(
        f"[{group}]\n" + "\n".join(lines) + "\n\n" for group, lines in sorted(groups.items())
    )


def apply(set: Mapping[str, str], reset: Iterable[str]) -> None:
    """Write `set` (key path → GVariant text) and reset the keys in `reset`, each step in a
    private D-Bus session; keys in neither are not touched."""
    if set:
        run(["dbus-run-session", "--", "dconf", "load", "/"], input=keyfile(set))
    dropped = sorted(reset)
    if dropped:
        # One session for all resets: xargs runs `dconf reset KEY` once per key.
        run(
            ["dbus-run-session", "--", "xargs", "-0", "-n", "1", "--", "dconf", "reset"],
            input="\0".join(dropped),
        )
