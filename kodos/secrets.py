"""Passwords: hashed with the system's libxcrypt before they touch a machine, never shown.

Python's `crypt` module is gone from current Pythons (Arch ships 3.13+), so this calls
libxcrypt — the library shadow-utils use on both Arch and Debian — through ctypes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from kodos.errors import KodosError

if TYPE_CHECKING:
    import ctypes

# yescrypt is Arch's default (`/etc/login.defs` ENCRYPT_METHOD YESCRYPT).
DEFAULT_PREFIX = b"$y$"


class CryptUnavailable(KodosError):
    """libxcrypt could not be loaded, so passwords cannot be hashed or checked here."""


@dataclass(frozen=True, slots=True)
class PlainPassword:
    """A plain-text password from a configuration, held only in memory.

    It is never equal to a hash string; `matches(hash)` says whether it is the password of an
    existing hash. Its repr never shows the secret.
    """

    secret: str = field(repr=False)

    def matches(self, crypt_hash: str) -> bool:
        return bool(crypt_hash) and crypt_text(self.secret, crypt_hash) == crypt_hash

    def __repr__(self) -> str:
        return "PlainPassword(********)"


def hash_password(secret: str, prefix: bytes = DEFAULT_PREFIX) -> str:
    """A new crypt(3) hash of `secret` with a random salt."""
    library = _libcrypt()
    salt = library.crypt_gensalt(prefix, 0, None, 0)
    if not salt:
        raise CryptUnavailable(f"libxcrypt cannot make a {prefix.decode()} salt")
    return crypt_text(secret, salt.decode())


def crypt_text(secret: str, setting: str) -> str:
    result = _libcrypt().crypt(secret.encode(), setting.encode())
    # libxcrypt returns a string starting with "*" for an invalid setting.
    return "" if not result or result.startswith(b"*") else result.decode()


@cache
def _libcrypt() -> ctypes.CDLL:
    # ctypes is imported here, by the first hash, not by every plan that imports this module
    # for SealedSecret (some 4 ms).
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("crypt")
    if name is None:
        raise CryptUnavailable("libxcrypt (libcrypt.so.1) is not installed")
    library = ctypes.CDLL(name)
    library.crypt.restype = ctypes.c_char_p
    library.crypt.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    library.crypt_gensalt.restype = ctypes.c_char_p
    library.crypt_gensalt.argtypes = [
        ctypes.c_char_p,
        ctypes.c_ulong,
        ctypes.c_char_p,
        ctypes.c_int,
    ]
    return library


@dataclass(frozen=True, slots=True)
class SealedSecret:
    """A secret seen only by its digest — what a facts file keeps of a password hash.

    A plan made from facts can still tell whether a configured hash is the one on the machine,
    without the facts file ever holding the hash.
    """

    digest: str

    def matches(self, value: str) -> bool:
        return seal(value) == self


def seal(value: str) -> SealedSecret:
    import hashlib  # loading OpenSSL costs milliseconds: only a plan with a secret pays it

    return SealedSecret("sha256:" + hashlib.sha256(value.encode()).hexdigest())
