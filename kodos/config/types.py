"""Validated value types the configuration model is built from.

Every name that may later reach a command line (package, unit, user, group, module…) is checked
here, at validation time, against the characters its tool accepts — so a name carrying shell
characters or a typo in its shape is a located configuration error, never an argv surprise.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, TypeVar

from kodos.config.fields import (
    AfterValidator,
    BeforeValidator,
    CustomError,
    PlainValidator,
    SecretStr,
    WithJsonSchema,
)
from kodos.text.lazyregex import lazy
from kodos.text.shown import quoted, shown

T = TypeVar("T")

# Aliases the whole model uses. Strictness (no "yes" for true, no 1 for "1") comes from the
# model config; these add shape checks with messages written for people.


def _empty_table_as_list(value: Any) -> Any:
    # Lua has one `{}`; the evaluator hands it over as an empty dict. Where a list is expected,
    # an empty table means an empty list.
    return [] if value == {} else value


LuaList = Annotated[list[T], BeforeValidator(_empty_table_as_list)]


def _pattern(name: str, regex: str, explanation: str) -> AfterValidator:
    compiled = lazy(regex)  # compiled when a value is first checked, not when the model loads

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise CustomError(
                "kodos_" + name.replace(" ", "_"),
                "{value} is not a valid {name}: {explanation}",
                {"value": quoted(value), "name": name, "explanation": explanation},
            )
        return value

    return AfterValidator(check)


ARCH_PACKAGE_RE = r"[a-z0-9@_+][a-z0-9@._+-]*"
FLATPAK_ID_RE = r"[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_-]*){2,}"
PACKAGE_SOURCES = ("aur", "flatpak")


def _check_package_spec(value: str) -> str:
    source, colon, name = value.partition(":")
    if not colon:
        source, name = "pacman", value
    elif source not in PACKAGE_SOURCES:
        raise CustomError(
            "kodos_package_source",
            "unknown package source {source} in {value}; use aur:NAME, flatpak:APP.ID or a plain "
            "Arch package name",
            {"source": quoted(source), "value": quoted(value)},
        )
    regex = FLATPAK_ID_RE if source == "flatpak" else ARCH_PACKAGE_RE
    if not re.fullmatch(regex, name):
        rule = (
            "a Flatpak application ID such as com.visualstudio.code"
            if source == "flatpak"
            else ARCH_PACKAGE_RULE
        )
        raise CustomError(
            "kodos_package_name",
            "{value} is not a valid package name: {rule}",
            {"value": quoted(value), "rule": rule},
        )
    return value


PackageSpec = Annotated[str, AfterValidator(_check_package_spec)]
"""A package to install: `name` (Arch repositories), `aur:name` or `flatpak:app.id`."""

ARCH_PACKAGE_RULE = "lowercase letters, digits and @._+- only, not starting with - or ."
PackageName = Annotated[str, _pattern("package name", ARCH_PACKAGE_RE, ARCH_PACKAGE_RULE)]
UnitName = Annotated[
    str,
    _pattern(
        "systemd unit name",
        r"[A-Za-z0-9:_.@\\-]+",
        "letters, digits and :_.@- only, e.g. sshd or sshd.service",
    ),
]
UserName = Annotated[
    str,
    _pattern(
        "user name",
        r"[a-z_][a-z0-9_-]{0,31}",
        "lowercase letters, digits, _ and -, starting with a letter or _, at most 32",
    ),
]
GroupName = Annotated[
    str,
    _pattern(
        "group name",
        r"[a-z_][a-z0-9_-]{0,31}",
        "lowercase letters, digits, _ and -, starting with a letter or _, at most 32",
    ),
]
AbsolutePath = Annotated[
    str, _pattern("absolute path", r"/[A-Za-z0-9_./+@-]*", "it must start with /")
]
DevicePath = Annotated[
    str, _pattern("device path", r"/[A-Za-z0-9_./:+@-]+", "an absolute path such as /dev/vda")
]
HostName = Annotated[
    str,
    _pattern(
        "host name",
        r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*",
        "letters, digits and -, in dot-separated labels of at most 63",
    ),
]


def _check_known_zone(value: str) -> str:
    from kodos.config.zones import closest_zone, is_zone

    if is_zone(value):
        return value
    suggestion = closest_zone(value)
    advice = f"; did you mean {suggestion!r}?" if suggestion else " (such as Europe/Berlin or UTC)"
    raise CustomError(
        "kodos_time_zone",
        "{value} is not a time zone zoneinfo knows{advice}",
        {"value": quoted(value), "advice": advice},
    )


TimeZone = Annotated[
    str,
    _pattern(
        "time zone",
        r"[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*",
        "a zoneinfo name such as Europe/Berlin or UTC",
    ),
    AfterValidator(_check_known_zone),
]
KeyMap = Annotated[str, _pattern("keymap", r"[A-Za-z0-9_.-]+", "a console keymap such as us")]
LocaleEntry = Annotated[
    str,
    _pattern(
        "locale",
        r"[A-Za-z0-9_.@-]+ [A-Za-z0-9_-]+",
        'a locale.gen line such as "en_US.UTF-8 UTF-8"',
    ),
]
LocaleName = Annotated[
    str, _pattern("locale name", r"[A-Za-z0-9_.@-]+", "a locale such as en_US.UTF-8")
]
KernelModule = Annotated[
    str, _pattern("kernel module", r"[A-Za-z0-9_-]+", "letters, digits, _ and - only")
]
KernelOption = Annotated[
    str,
    _pattern(
        "kernel option",
        r"[A-Za-z0-9_.,:=/+@-]+",
        "one word of the kernel command line, such as console=ttyS0 or quiet",
    ),
]
Url = Annotated[
    str,
    _pattern("URL", r"(https?|ftp|file)://[^\s'\"]+", "an http(s)://, ftp:// or file:// URL"),
]
FlatpakUrl = Annotated[
    str,
    _pattern(
        "Flatpak remote URL",
        r"(https?|file)://[^\s'\"\\]+",
        "an http(s):// or file:// URL of a repository or of its .flatpakrepo file",
    ),
]
FlatpakRemoteName = Annotated[
    str,
    _pattern(
        "Flatpak remote name",
        r"[A-Za-z0-9_][A-Za-z0-9_.-]*",
        "letters, digits and _.- only, not starting with . or -, e.g. flathub",
    ),
]
GitUrl = Annotated[
    str,
    _pattern(
        "git URL",
        r"((https?|ftp|file|ssh|git)://|[A-Za-z0-9_.-]+@[A-Za-z0-9_.-]+:)[^\s'\"]+",
        "an http(s)://, ssh://, git://, file:// or user@host:path address",
    ),
]


def _check_size(value: str) -> str:
    # The parser `kodos install` partitions by: a size validate accepts is one install takes.
    # Imported here: only a configuration with a swap size pays for the layout module.
    from kodos.disklayout import SizeError, parse_size

    try:
        parse_size(value, "size")
    except SizeError as err:
        raise CustomError(
            "kodos_size",
            "{value} is not a valid size: {explanation}",
            {"value": quoted(value), "explanation": err.explanation},
        ) from None
    return value


SwapSize = Annotated[str, AfterValidator(_check_size)]
"""A partition size such as "4GB" or "512MiB" (`kodos.disklayout.parse_size`)."""
ConfigName = Annotated[
    str, _pattern("name", r"[A-Za-z0-9_.@+-]+", "letters, digits and _.@+- only")
]
_CRYPT_HASH = lazy(r"\$(1|5|6|y|gy|7|2[abxy])\$[^\s:]+")


def _check_crypt_hash(secret: SecretStr) -> SecretStr:
    # The message must not echo the value: even a malformed hash is a secret.
    if not _CRYPT_HASH.fullmatch(secret.get_secret_value()):
        raise CustomError(
            "kodos_password_hash",
            "not a crypt(3) password hash (such as the output of `openssl passwd -6`)",
        )
    return secret


HashedPassword = Annotated[SecretStr, AfterValidator(_check_crypt_hash)]

_SCALAR_SCHEMA = WithJsonSchema({"type": ["string", "number", "boolean"]})


def _check_scalar(value: Any) -> str | int | float | bool:
    if isinstance(value, str | int | float | bool):
        return value
    raise CustomError(
        "kodos_scalar", "expected a string, number or boolean, got {got}", {"got": lua_type(value)}
    )


Scalar = Annotated[str | int | float | bool, PlainValidator(_check_scalar), _SCALAR_SCHEMA]
"""A setting's value: a string, a number or a boolean (tables are not settings)."""


LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
"""Every character `str.splitlines` breaks a line at: the readers of the files kodos writes
split on some of them, so a value holding any one would smuggle in a line of its own."""


def _line_problem(value: str) -> str | None:
    if any(char in LINE_BREAKS for char in value):
        return "a value must fit on one line"
    if value.endswith("\\"):
        return "a value must not end with a backslash (it would continue on the next line)"
    return None


def _check_one_line(value: str) -> str:
    problem = _line_problem(value)
    if problem:
        raise CustomError("kodos_one_line", problem)
    return value


OneLine = Annotated[str, AfterValidator(_check_one_line)]
"""Text written as one line of a file kodos renders (a unit file, a settings file)."""


def _check_full_name(value: str) -> str:
    # a field of /etc/passwd: ':' separates the fields, a line break starts another entry
    if ":" in value or any(char in LINE_BREAKS for char in value):
        raise CustomError("kodos_full_name", "a full name must not contain ':' or line breaks")
    return value


FullName = Annotated[str, AfterValidator(_check_full_name)]


def _check_setting_value(value: Any) -> str | int | float | bool:
    checked = _check_scalar(value)
    return _check_one_line(checked) if isinstance(checked, str) else checked


SettingValue = Annotated[
    str | int | float | bool, PlainValidator(_check_setting_value), _SCALAR_SCHEMA
]
"""A service's or hardware item's setting: a scalar written on one line of its file."""

SettingKey = Annotated[
    str,
    _pattern("setting name", r"[A-Za-z0-9_.-]+", "letters, digits and _.- only"),
]


def _check_mount_point(value: str) -> str:
    parts = [part for part in value.split("/") if part]
    if not parts or any(part in (".", "..") for part in parts):
        # systemd refuses such mount points, and the unit's name is made from the path
        raise CustomError(
            "kodos_mount_point", "a mount point must be a directory below /, without . or .. parts"
        )
    return value


MountPath = Annotated[AbsolutePath, AfterValidator(_check_mount_point)]

_AUTOMOUNT_SETTING = lazy(r"[A-Za-z][A-Za-z0-9]*\s*=\s*\S.*")


def _check_automount_settings(value: str) -> str:
    for line in automount_lines(value):
        if not _AUTOMOUNT_SETTING.fullmatch(line):
            raise CustomError(
                "kodos_automount_setting",
                "{line} is not an automount setting such as TimeoutIdleSec=600",
                {"line": shown(line)},
            )
    return value


def automount_lines(text: str) -> list[str]:
    """The settings of an `automount_config` text, one a line, blank lines left out."""
    return [line.strip() for line in text.splitlines() if line.strip()]


AutomountSettings = Annotated[str, AfterValidator(_check_automount_settings)]


_VALID_UNIT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789:_.")


def escape_path(path: str) -> str:
    """`systemd-escape --path PATH`, for a path already normalized (see `normalized_where`)."""
    stripped = path.strip("/")
    if not stripped:
        return "-"
    out = []
    for i, byte in enumerate(stripped.encode()):
        char = chr(byte)
        if char == "/":
            out.append("-")
        elif char in _VALID_UNIT_CHARS and not (i == 0 and char == "."):
            out.append(char)
        else:
            # "-" is the separator, so a literal one is escaped too; a leading "." would
            # make a hidden unit file.
            out.append(f"\\x{byte:02x}")
    return "".join(out)


def normalized_where(where: str) -> str:
    """The mount point without doubled or trailing slashes (`MountPath` refused `.`, `..` and
    / itself, which systemd refuses)."""
    return "/" + "/".join(part for part in where.split("/") if part)


# ---- dconf ---------------------------------------------------------------------------------

DconfDir = Annotated[
    str,
    _pattern(
        "dconf directory",
        r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*",
        "a path such as org/gnome/desktop/interface, without leading or trailing /",
    ),
]
DconfKey = Annotated[
    str,
    _pattern(
        "dconf key", r"[A-Za-z0-9][A-Za-z0-9-]*", "letters, digits and - (GSettings key names)"
    ),
]
GSettingsSchema = Annotated[
    str,
    _pattern(
        "GSettings schema id",
        r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)+",
        "dot-separated names such as org.gnome.desktop.interface",
    ),
]

_DCONF_ITEM_TYPES: tuple[type, ...] = (str, bool, int, float)


def _dconf_kind(value: Any) -> type | None:
    # bool before int: True is an int to Python, a boolean to Lua and to GVariant
    for kind in _DCONF_ITEM_TYPES:
        if isinstance(value, kind):
            return kind
    return None


def _check_dconf_string(value: str) -> str:
    if "\x00" in value:
        raise CustomError("kodos_dconf_nul", "a dconf string cannot hold a NUL character")
    return value


def _check_dconf_value(value: Any) -> Any:
    value = _empty_table_as_list(value)
    if isinstance(value, list):
        kinds = {_dconf_kind(item) for item in value}
        if None in kinds or len(kinds - {int, float}) > 1 or (str in kinds and len(kinds) > 1):
            raise CustomError(
                "kodos_dconf_list",
                "a dconf list holds strings, booleans or numbers, all of one kind",
            )
        if kinds == {int, float}:  # {1, 2.5}: numbers of one list are doubles
            return [float(item) for item in value]
        return [_check_dconf_string(item) if isinstance(item, str) else item for item in value]
    if _dconf_kind(value) is None:
        raise CustomError(
            "kodos_dconf_value",
            "expected a string, boolean, number or list, got {got}",
            {"got": lua_type(value)},
        )
    return _check_dconf_string(value) if isinstance(value, str) else value


DconfValue = Annotated[
    str | bool | int | float | list[str] | list[bool] | list[int] | list[float],
    PlainValidator(_check_dconf_value),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": ["string", "number", "boolean"]},
                {"type": "array", "items": {"type": ["string", "number", "boolean"]}},
            ]
        }
    ),
]
"""A dconf value typed from Lua: a string, a boolean, an integer (Lua integer), a double (Lua
float: 0.8, 4.0) or a list of one of these (a list mixing integers and floats is doubles)."""


# ---- git -----------------------------------------------------------------------------------

GitKey = Annotated[
    str,
    _pattern(
        "git config key",
        r"[A-Za-z][A-Za-z0-9-]*(\.[^\x00-\x1f\"\\]+)?\.[A-Za-z][A-Za-z0-9-]*",
        "section.name or section.subsection.name, such as user.name",
    ),
]


# ---- paths in a home and in the configuration directory -------------------------------------


def _relative_parts_problem(parts: list[str]) -> str | None:
    if any(part == ".." for part in parts):
        return "must not contain .. parts"
    return None


def _check_home_path(value: str) -> str:
    if any(char in LINE_BREAKS or char == "\x00" for char in value):
        raise CustomError("kodos_home_path", "a path must fit on one line")
    if value.startswith("/") or (value.startswith("~") and value != "~" and value[1] != "/"):
        raise CustomError(
            "kodos_home_path",
            "{value} is not a path in the home: write it as ~/PATH (or relative to the home)",
            {"value": quoted(value)},
        )
    problem = _relative_parts_problem(value.removeprefix("~").split("/"))
    if problem:
        raise CustomError(
            "kodos_home_path", "{value} {problem}", {"value": quoted(value), "problem": problem}
        )
    return value


HomePath = Annotated[str, AfterValidator(_check_home_path)]
"""A place in the user's home: `~`, `~/PATH` or `PATH` (relative to the home), without `..`."""


def home_relative(path: str) -> str:
    """`~/.config/x`, `.config/x`, `~/.config//x/` → `.config/x`; the home itself → ``."""
    return "/".join(part for part in path.removeprefix("~").split("/") if part not in ("", "."))


def _check_home_file(value: str) -> str:
    value = _check_home_path(value)
    if not home_relative(value):
        raise CustomError(
            "kodos_home_file", "the home itself is not a file; name a file such as ~/.config/x"
        )
    return value


HomeFile = Annotated[str, AfterValidator(_check_home_file)]
"""A file in the user's home (`~/.config/background`): a HomePath that is not the home."""


def _check_config_relative(value: str) -> str:
    if not value or value.startswith(("/", "~")) or any(c in LINE_BREAKS + "\x00" for c in value):
        raise CustomError(
            "kodos_config_file",
            "{value} is not a file of the configuration directory: write a path relative to it, "
            "such as files/background.jpg",
            {"value": quoted(value)},
        )
    problem = _relative_parts_problem(value.split("/"))
    if problem:
        raise CustomError(
            "kodos_config_file",
            "{value} {problem}: the file must be inside the configuration directory",
            {"value": quoted(value), "problem": problem},
        )
    return value


ConfigFile = Annotated[str, AfterValidator(_check_config_relative)]
"""A file of the configuration directory, relative to it, without `..` (`copy_file`'s source);
that it exists there and stays inside through links, `kodos.config.copied` checks."""


def lua_type(value: Any) -> str:
    """Describe a converted value the way a Lua author thinks of it."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table with named keys" if value else "an empty table"
    return type(value).__name__
