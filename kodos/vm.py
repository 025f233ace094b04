"""Boot a disk image in QEMU with UEFI (OVMF): `kodos vm IMAGE` and the boot tests.

* OVMF's code is used read-only; its variables file is copied fresh for every boot, so no boot
  inherits NVRAM state (boot entries, boot order) from another.
* KVM is used when `/dev/kvm` can be opened; a nested or paravirtual KVM that cannot run OVMF
  says "KVM internal error" on stderr and leaves the VM paused: that boot is killed and redone
  with TCG (software emulation, ~7 s a boot of kodos's test image).
* A hard timeout kills the QEMU process this module started (never any other).
* The serial console goes to a log file (tests, `BootResult.log`) or to the terminal.
* Paths are data: every file reaches QEMU through `drive_file` (commas doubled, no protocol
  prefixes), so an image or firmware path may hold any character a file name can.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from kodos.errors import KodosError

QEMU = "qemu-system-x86_64"
OVMF_DIRS = (
    Path("/usr/share/OVMF"),  # Debian, Ubuntu (package ovmf)
    Path("/usr/share/edk2/x64"),  # Arch (edk2-ovmf)
    Path("/usr/share/edk2-ovmf/x64"),  # older Arch
)
OVMF_PAIRS = (("OVMF_CODE_4M.fd", "OVMF_VARS_4M.fd"), ("OVMF_CODE.4m.fd", "OVMF_VARS.4m.fd"))
OVMF_DIR_VARIABLE = "KODOS_OVMF_DIR"
"""When set, the only directory searched for OVMF (firmware kept somewhere else)."""
KVM_FAILURE = "KVM internal error"
"""What QEMU prints when KVM stops a running VM (it then hangs, paused, until killed)."""
KVM_ABORTS = (KVM_FAILURE, "kvm.c:", "failed to set MSR")
"""Signs that KVM itself failed (on some nested hosts QEMU aborts setting up the vCPU): the
boot is retried with TCG rather than reported as the image's failure."""
MEMORY = "512"
POLL_SECONDS = 0.1


class VmError(KodosError):
    """QEMU or OVMF is missing, or a boot could not run."""


@dataclass(frozen=True)
class Firmware:
    code: Path
    vars_template: Path


@dataclass(frozen=True)
class BootResult:
    """How a boot ended: `exit_code` of QEMU (None: killed at the timeout), the serial log's
    text, the accelerator used and the seconds it took."""

    exit_code: int | None
    log: str
    accel: str
    seconds: float

    @property
    def timed_out(self) -> bool:
        return self.exit_code is None


def find_qemu() -> str:
    path = shutil.which(QEMU)
    if path is None:
        raise VmError(
            f"{QEMU} is not installed (Debian: apt install qemu-system-x86; Arch: pacman -S qemu)"
        )
    return path


def find_firmware(dirs: Sequence[Path] | None = None) -> Firmware:
    if dirs is None:
        chosen = os.environ.get(OVMF_DIR_VARIABLE)
        dirs = (Path(chosen),) if chosen else OVMF_DIRS
    for directory in dirs:
        for code, variables in OVMF_PAIRS:
            if (directory / code).is_file() and (directory / variables).is_file():
                return Firmware(directory / code, directory / variables)
    looked = ", ".join(str(d) for d in dirs)
    raise VmError(
        f"OVMF (UEFI firmware for QEMU) is not installed: no OVMF_CODE_4M.fd and "
        f"OVMF_VARS_4M.fd in {looked} (Debian: apt install ovmf; Arch: pacman -S edk2-ovmf)"
    )


def kvm_usable(device: Path = Path("/dev/kvm")) -> bool:
    try:
        fd = os.open(device, os.O_RDWR | os.O_CLOEXEC)
    except OSError:
        return False
    os.close(fd)
    return True


def qemu_argv(
    qemu: str, firmware: Firmware, vars_copy: Path, image: Path, accel: str, serial: str
) -> list[str]:
    cpu = ["-accel", "kvm", "-cpu", "host"] if accel == "kvm" else ["-accel", "tcg", "-cpu", "max"]
    return [
        qemu, *cpu, "-machine", "q35", "-m", MEMORY, "-nodefaults", "-display", "none",
        "-serial", serial, "-no-reboot",
        "-drive", f"if=pflash,format=raw,unit=0,readonly=on,{drive_file(firmware.code)}",
        "-drive", f"if=pflash,format=raw,unit=1,{drive_file(vars_copy)}",
        "-drive", f"if=virtio,format=raw,{drive_file(image)}",
    ]  # fmt: skip


def drive_file(path: Path) -> str:
    """The file of a `-drive` option, passed as data: QEMU splits options at commas (a comma
    in a path is written twice), and a plain `file=` would read a prefix such as `nbd:` or
    `json:` as a protocol, so the file driver and its filename are named explicitly."""
    escaped = str(path).replace(",", ",,")
    return f"file.driver=file,file.filename={escaped}"


def boot(
    image: Path, *, timeout: float | None, log: Path | None = None, accel: str | None = None
) -> BootResult:
    """Boot `image` until the machine powers off or `timeout` seconds pass (None: no limit).
    With `log`, the serial console goes there (and is returned); without, to this process's
    terminal."""
    qemu, firmware = find_qemu(), find_firmware()
    if not image.is_file():
        raise VmError(f"no image at {image}")
    chosen = accel or ("kvm" if kvm_usable() else "tcg")
    result = _boot_once(qemu, firmware, image, chosen, timeout, log)
    if chosen == "kvm" and result.accel == "kvm-failed":
        result = _boot_once(qemu, firmware, image, "tcg", timeout, log)
    return result


def _boot_once(
    qemu: str,
    firmware: Firmware,
    image: Path,
    accel: str,
    timeout: float | None,
    log: Path | None,
) -> BootResult:
    with tempfile.TemporaryDirectory(prefix="kodos-vm-") as scratch:
        vars_copy = Path(scratch) / "OVMF_VARS.fd"
        shutil.copyfile(firmware.vars_template, vars_copy)  # fresh NVRAM every boot
        serial = f"file:{log}" if log is not None else "stdio"
        if log is not None:
            log.write_text("")
        argv = qemu_argv(qemu, firmware, vars_copy, image, accel, serial)
        stderr_path = Path(scratch) / "stderr"
        started = time.monotonic()
        code = _run_qemu(argv, stderr_path, timeout, interactive=log is None)
        seconds = time.monotonic() - started
        stderr = stderr_path.read_text(errors="replace")
    text = log.read_text(errors="replace") if log is not None else ""
    if accel == "kvm" and any(sign in stderr for sign in KVM_ABORTS):
        return BootResult(code, text, "kvm-failed", seconds)
    if code not in (0, None):
        raise VmError(f"{QEMU} failed with exit code {code}: {stderr.strip()}\n{text}")
    return BootResult(code, text, accel, seconds)


def _run_qemu(
    argv: list[str], stderr_path: Path, timeout: float | None, *, interactive: bool
) -> int | None:
    """Run QEMU until it exits or the timeout; None when it had to be killed. Popen rather
    than kodos.system.runner.run: QEMU runs for seconds to minutes, its stderr must be watched while
    it runs (a KVM failure leaves a paused VM that never exits) and only this one process
    may be killed. Still an argv list, never a shell."""
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(  # an argv list built by qemu_argv
            argv,
            stdin=None if interactive else subprocess.DEVNULL,
            stdout=None if interactive else subprocess.DEVNULL,
            stderr=stderr,
        )
        deadline = time.monotonic() + timeout if timeout is not None else float("inf")
        try:
            while process.poll() is None:
                if time.monotonic() > deadline or KVM_FAILURE in _read(stderr_path):
                    _kill(process)
                    return None
                time.sleep(POLL_SECONDS)
        finally:
            if process.poll() is None:
                _kill(process)
    return process.returncode


def _read(path: Path) -> str:
    return path.read_text(errors="replace")


def _kill(process: subprocess.Popen[bytes]) -> None:
    process.kill()
    process.wait()
