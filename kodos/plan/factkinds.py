"""What a facts file may say about each kind of resource: its attributes, typed.

A facts file (`kodos facts`, read back by `plan --facts`) may be hand-made or damaged, and
everything after reading it — the diff, package resolution, rendering — trusts that a
`pacman.package` has a string `version`, that a user's `uid` is a number and so on. So each
kind's attributes are validated here, strictly (no "3" for 3), against what its provider's
`read` produces (`providers/*.py`); a kind no provider reads is refused.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails


class _Attributes(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class Sealed(_Attributes):
    """A sensitive value, kept only as its digest (`kodos.secrets.SealedSecret`)."""

    sealed: str


class PackageAttributes(_Attributes):
    """`pacman.package` and `aur.package` (providers/pacman.py)."""

    version: str
    reason: Literal["explicit", "dependency"]
    groups: list[str] = Field(default_factory=list)


class RepositoryAttributes(_Attributes):
    """`pacman.repository`: one section of pacman.conf (providers/pacman.py)."""

    include: str | None = None
    servers: list[str] | None = None
    added_by: Literal["kodos"] | None = None


class MirrorlistAttributes(_Attributes):
    """`pacman.mirrorlist`: the servers of a mirror list (providers/pacman.py)."""

    servers: list[str]


class FlatpakAttributes(_Attributes):
    """`flatpak.app`; both unknown when the deploy data is unreadable (providers/flatpak.py)."""

    remote: str | None = None
    version: str | None = None


class FlatpakRemoteAttributes(_Attributes):
    """`flatpak.remote`: a remote of the system installation (providers/flatpak.py)."""

    url: str
    gpg_verify: bool
    added_by: Literal["kodos"] | None = None


class UserAttributes(_Attributes):
    """`users.user` (providers/users.py); the password only sealed."""

    uid: int
    gecos: str
    shell: str
    home: str
    groups: list[str]
    password: Sealed | None = None


class FileAttributes(_Attributes):
    """`files.file`: content None when it could not be read (providers/files.py)."""

    content: str | None
    mode: str = Field(pattern=r"^[0-7]{4}$")


class SymlinkAttributes(_Attributes):
    target: str


class UnitAttributes(_Attributes):
    """`services.unit` and `services.user_unit` (providers/services.py)."""

    state: str


_STRICT = ConfigDict(strict=True)
KIND_ATTRIBUTES: dict[tuple[str, str], TypeAdapter[Any]] = {
    ("pacman", "package"): TypeAdapter(PackageAttributes),
    ("pacman", "repository"): TypeAdapter(RepositoryAttributes),
    ("pacman", "mirrorlist"): TypeAdapter(MirrorlistAttributes),
    ("aur", "package"): TypeAdapter(PackageAttributes),
    ("flatpak", "app"): TypeAdapter(FlatpakAttributes),
    ("flatpak", "remote"): TypeAdapter(FlatpakRemoteAttributes),
    ("users", "user"): TypeAdapter(UserAttributes),
    ("files", "file"): TypeAdapter(FileAttributes),
    ("files", "symlink"): TypeAdapter(SymlinkAttributes),
    ("services", "unit"): TypeAdapter(UnitAttributes),
    ("services", "user_unit"): TypeAdapter(UnitAttributes),
    # bootloader.py: loader.conf keys (numbers as numbers), entry keys (initrd repeats)
    ("bootloader", "loader"): TypeAdapter(dict[str, str | int], config=_STRICT),
    ("bootloader", "entry"): TypeAdapter(dict[str, str | list[str]], config=_STRICT),
}
_SEALED = TypeAdapter(Sealed)


def attribute_problems(
    provider: str, kind: str, attributes: dict[str, Any], sensitive: list[str]
) -> list[tuple[str, str]]:
    """(field inside the resource, message) for each problem; empty when they fit the kind."""
    adapter = KIND_ATTRIBUTES.get((provider, kind))
    if adapter is None:
        known = ", ".join(sorted(f"{p}.{k}" for p, k in KIND_ATTRIBUTES))
        return [("address", f"no provider reads {provider}.{kind} (known: {known})")]
    problems = _problems(adapter, attributes, "attributes")
    for key in sensitive:
        if key in attributes:
            problems += _problems(_SEALED, attributes[key], f"attributes.{key}")
    return list(dict.fromkeys(problems))  # a sealed password is checked by both


def _problems(adapter: TypeAdapter[Any], value: Any, prefix: str) -> list[tuple[str, str]]:
    try:
        adapter.validate_python(value)
    except ValidationError as err:
        return [(_field(prefix, detail), detail["msg"]) for detail in err.errors()]
    return []


def _field(prefix: str, detail: ErrorDetails) -> str:
    return ".".join([prefix, *(str(part) for part in detail["loc"])])
