"""pacman's version comparison (`vercmp`, libalpm's `alpm_pkg_vercmp`), in Python.

Versions are `[epoch:]pkgver[-pkgrel]`: the epoch wins, then pkgver, then pkgrel (only when
both have one). Each part is compared segment by segment the way rpm does: numeric segments as
numbers and newer than alphabetic ones (`1.0a` < `1.0` < `1.0.1`), separators count only by
their length. Ported from libalpm's version.c so it gives the same answer as the `vercmp`
program (tests check that) without running a process per package.
"""

from __future__ import annotations

from collections.abc import Callable


def vercmp(a: str, b: str) -> int:
    """-1, 0 or 1 as `a` is older than, the same as, or newer than `b`."""
    if a == b:
        return 0
    epoch_a, version_a, release_a = _parse_evr(a)
    epoch_b, version_b, release_b = _parse_evr(b)
    result = _rpmvercmp(epoch_a, epoch_b)
    if result == 0:
        result = _rpmvercmp(version_a, version_b)
        if result == 0 and release_a is not None and release_b is not None:
            result = _rpmvercmp(release_a, release_b)
    return result


def _parse_evr(evr: str) -> tuple[str, str, str | None]:
    digits = len(evr) - len(evr.lstrip("0123456789"))
    epoch, rest = "0", evr
    if evr[digits : digits + 1] == ":":
        epoch, rest = evr[:digits] or "0", evr[digits + 1 :]
    version, dash, release = rest.rpartition("-")
    return (epoch, version, release) if dash else (epoch, rest, None)


def _is_alnum(char: str) -> bool:
    return char.isascii() and char.isalnum()


def _is_alpha(char: str) -> bool:
    return char.isascii() and char.isalpha()


def _is_digit(char: str) -> bool:
    return "0" <= char <= "9"


def _rpmvercmp(a: str, b: str) -> int:
    if a == b:
        return 0
    i = j = 0  # where the current segments start
    end_a = end_b = 0  # where the previous segments ended
    while i < len(a) and j < len(b):
        while i < len(a) and not _is_alnum(a[i]):
            i += 1
        while j < len(b) and not _is_alnum(b[j]):
            j += 1
        if i >= len(a) or j >= len(b):
            break
        if i - end_a != j - end_b:  # separators of different lengths
            return -1 if i - end_a < j - end_b else 1
        numeric = _is_digit(a[i])
        same_kind = _is_digit if numeric else _is_alpha
        end_a, end_b = _segment_end(a, i, same_kind), _segment_end(b, j, same_kind)
        if end_b == j:  # a numeric segment against an alphabetic one: numeric is newer
            return 1 if numeric else -1
        result = _compare_segments(a[i:end_a], b[j:end_b], numeric)
        if result:
            return result
        i, j = end_a, end_b
    return _final_showdown(a[i:], b[j:])


def _segment_end(text: str, start: int, same_kind: Callable[[str], bool]) -> int:
    end = start
    while end < len(text) and same_kind(text[end]):
        end += 1
    return end


def _compare_segments(one: str, two: str, numeric: bool) -> int:
    if numeric:
        one, two = one.lstrip("0"), two.lstrip("0")
        if len(one) != len(two):
            return 1 if len(one) > len(two) else -1
    return (one > two) - (one < two)


def _final_showdown(rest_a: str, rest_b: str) -> int:
    """All segments compared equal: a remaining alphabetic part never beats an empty one."""
    if not rest_a and not rest_b:
        return 0
    if (not rest_a and not _is_alpha(rest_b[:1])) or _is_alpha(rest_a[:1]):
        return -1
    return 1
