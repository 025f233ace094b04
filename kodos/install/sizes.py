"""Sizes as configurations and `--size` write them: `4GB`, `512MiB`, `1.5G`.

Every unit is a power of 1024 (`GB` and `GiB` alike), as sfdisk and truncate read `G`: a
configuration saying `"4GB"` of swap gets 4 GiB, never a few percent less.
"""

from __future__ import annotations

import re

from kodos.errors import KodosError

MIB = 1024 * 1024
_SIZE = re.compile(r"^\s*(?P<amount>[0-9]+(?:\.[0-9]+)?)\s*(?P<unit>[KMGT])(?:i?B)?\s*$", re.I)
_POWERS = {"K": 1, "M": 2, "G": 3, "T": 4}


class SizeError(KodosError):
    """A size that does not parse."""


def parse_size(text: str, what: str) -> int:
    """`text` in bytes; `what` names it in the error (`swap_size`, `--size`)."""
    match = _SIZE.match(text)
    if match is None:
        raise SizeError(f'{what} {text!r} is not a size such as "4GB" or "512MiB"')
    amount = float(match["amount"])
    if amount <= 0:
        raise SizeError(f"{what} {text!r} must be more than zero")
    return int(amount * 1024 ** _POWERS[match["unit"].upper()])


def mib_up(size: int) -> int:
    """Whole MiB, rounded up: sfdisk's unit here, and aligned partitions."""
    return -(-size // MIB)


def human(size: int) -> str:
    """`2.0 GiB`, `512 MiB`: for the wipe warning and errors."""
    for unit, power in (("TiB", 4), ("GiB", 3), ("MiB", 2), ("KiB", 1)):
        if size >= 1024**power:
            value = size / 1024**power
            return f"{value:.1f} {unit}" if value < 100 and value % 1 else f"{value:.0f} {unit}"
    return f"{size} B"
