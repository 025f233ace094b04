"""`.SRCINFO`, the metadata `makepkg --printsrcinfo` writes next to a PKGBUILD.

The format (makepkg's `srcinfo.sh`): a `pkgbase = NAME` section, then one `pkgname = NAME`
section per package, each line `key = value` (indented by a tab inside a section). A package
section overrides a base's list (`depends = ...` there replaces the base's depends for that
package, an empty value clears it); architecture-specific lists (`depends_x86_64`) add to the
plain ones on that architecture. `SrcInfo` holds what kodos needs: the union over the packages
of their effective lists, so one base is one node of the build order.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from kodos.aur.errors import AurError
from kodos.aur.names import checked_name

ARCH = "x86_64"
LISTS = ("depends", "makedepends", "checkdepends", "provides", "arch")
# Lists a package section may override; makedepends/checkdepends belong to the base alone.
PACKAGE_LISTS = ("depends", "provides", "arch")
_VERSION_KEYS = ("pkgver", "pkgrel", "epoch")


@dataclass(frozen=True)
class SrcInfo:
    """One package base as its `.SRCINFO` describes it.

    `version` is `[epoch:]pkgver-pkgrel`; `packages` the pkgnames in the file's order; the
    dependency lists hold dependency strings as written (`foo>=1.2`), the union over the
    packages with each package's overrides applied, in first-seen order.
    """

    pkgbase: str
    version: str
    packages: tuple[str, ...]
    depends: tuple[str, ...] = ()
    makedepends: tuple[str, ...] = ()
    checkdepends: tuple[str, ...] = ()
    provides: tuple[str, ...] = ()
    arch: tuple[str, ...] = ()

    def build_needs(self) -> tuple[str, ...]:
        """Every dependency string the build needs installed: depends, makedepends and
        checkdepends, each once."""
        return _unique([*self.depends, *self.makedepends, *self.checkdepends])


def parse_srcinfo(text: str, origin: str) -> SrcInfo:
    """The `SrcInfo` of `text`; a malformed file raises `AurError` naming `origin:line`."""
    base: dict[str, list[str]] = {}
    packages: list[tuple[str, dict[str, list[str]]]] = []
    pkgbase: str | None = None
    current = base
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, equals, value = (part.strip() for part in line.partition("="))
        if not equals or not key:
            raise AurError(f"{origin}:{number}: not a `key = value` line: {line!r}")
        if key == "pkgbase":
            if pkgbase is not None or packages:
                raise AurError(f"{origin}:{number}: a second pkgbase line")
            pkgbase = checked_name(value, "package base")
        elif key == "pkgname":
            if pkgbase is None:
                raise AurError(f"{origin}:{number}: pkgname before the pkgbase line")
            current = {}
            packages.append((checked_name(value), current))
        else:
            current.setdefault(key, []).append(value)
    if pkgbase is None:
        raise AurError(f"{origin}: no pkgbase line")
    if not packages:
        raise AurError(f"{origin}: no pkgname line")
    return SrcInfo(
        pkgbase=pkgbase,
        version=_version(base, origin),
        packages=tuple(name for name, _ in packages),
        **{key: _merged(key, base, [fields for _, fields in packages]) for key in LISTS},
    )


def _version(base: dict[str, list[str]], origin: str) -> str:
    found = {}
    for key in _VERSION_KEYS:
        values = base.get(key, [])
        if len(values) > 1:
            raise AurError(f"{origin}: more than one {key}")
        if values:
            found[key] = values[0]
    for key in ("pkgver", "pkgrel"):
        if not found.get(key):
            raise AurError(f"{origin}: no {key}")
    epoch = found.get("epoch", "0")
    version = f"{found['pkgver']}-{found['pkgrel']}"
    return version if epoch in ("", "0") else f"{epoch}:{version}"


def _merged(
    key: str, base: dict[str, list[str]], packages: list[dict[str, list[str]]]
) -> tuple[str, ...]:
    """The union over the packages of `key`'s effective list (plain plus this architecture's)."""
    names = (key, f"{key}_{ARCH}")
    if key not in PACKAGE_LISTS:
        return _values(base, names)
    merged: list[str] = []
    for fields in packages:
        for name in names:  # each array is overridden on its own, as makepkg does
            merged.extend(_values(fields if name in fields else base, [name]))
    return _unique(merged)


def _values(fields: dict[str, list[str]], names: Iterable[str]) -> tuple[str, ...]:
    return _unique(value for name in names for value in fields.get(name, []) if value)


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
