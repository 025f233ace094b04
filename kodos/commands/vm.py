"""`kodos vm IMAGE`: boot a disk image in QEMU (UEFI), its serial console on this terminal.

A configuration can be tried on an image from `kodos install --image` before it touches
hardware. The machine's own power-off (or reboot) ends the command.
"""

from __future__ import annotations

import sys
from pathlib import Path

from kodos.vm import boot


def run_vm(image: Path, timeout: float | None) -> int:
    result = boot(image, timeout=timeout)
    if result.timed_out:
        print(
            f"kodos vm: stopped the machine after {timeout:g} s (--timeout)",
            file=sys.stderr,
        )
        return 1
    print(
        f"kodos vm: the machine powered off after {result.seconds:.1f} s ({result.accel})",
        file=sys.stderr,
    )
    return 0
