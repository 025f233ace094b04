"""`configs.dconf(...)`: exactly the declared dconf keys, typed from Lua, set without a session.

Rendering turns the configuration into `DconfKey`s (key path + GVariant text, see `gvariant`
for how a Lua value is typed). The model has already normalized upstream's spellings (schema ids
with dots, `_` in key names, the relocatable form `key = { ["/path/"] = { k = v } }`), so
`settings["org/gnome/desktop/interface"]["color-scheme"]` is the key
`/org/gnome/desktop/interface/color-scheme`.

Applying (`apply`) writes the keys with `dconf load /` and removes dropped ones with
`dconf reset`, each inside a private `dbus-run-session`: dconf writes go through its D-Bus
service, which a session-less apply (or `--for`) does not have. Programs already running read
the new values from the database file; they are not sent change signals. Every other key is
left alone. Reading (`read`) needs no bus: `dconf dump /` reads the user's database file.
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

_COMPILE_ERROR = lazy(r"\[k\]: (?P<slot>v\d+): invalid value: .*?: (?P<why>[\d,.-]*:.*)$")


def render(
    settings: Mapping[str, Mapping[str, Any]], at: list[str | int]
) -> tuple[list[DconfKey], list[Problem]]:
    """The keys `settings` (directory → key → value, as the model normalized them) declares,
    and the problems found; `at` is the configuration path of the `configs.dconf(...)` table."""
    keys: list[DconfKey] = []
    problems: list[Problem] = []
    raw: list[tuple[int, str, str]] = []  # (index in keys, text, location) checked by dconf
    for directory, entries in sorted(settings.items()):
        for name, value in sorted(entries.items()):
            where = config_path([*at, directory, name])
            try:
                text = _text(value)
            except gvariant.BadValue as err:
                problems.append(Problem(where, str(err)))
                continue
            if text is None:
                raw.append((len(keys), value, where))
                text = value
            keys.append(DconfKey(f"/{directory.strip('/')}/{name}", text, where))
    for index, canonical in _canonical([(text, where) for _, text, where in raw], problems):
        slot, _, where = raw[index]
        keys[slot] = DconfKey(keys[slot].key, canonical, where)
    keys.sort(key=lambda item: item.key)
    return keys, problems


def _text(value: Any) -> str | None:
    """GVariant text for a plain value; None for a string of GVariant text (dconf checks it)."""
    if isinstance(value, str) and gvariant.is_gvariant_text(value):
        return None
    if isinstance(value, bool | int | float | str | list):
        return gvariant.plain_value(value)
    raise gvariant.BadValue("a dconf value is a string, number, boolean or list of them")


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
