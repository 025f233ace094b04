"""`kodos install`: check everything, ask, then build generation 1 step by step.

Every step is reported as it completes (`on_step`); a failure names the step that was running.
All mounts happen in kodos's private mount namespace and are unmounted in reverse order, the
loop device of `--image` is detached, and a re-run simply repartitions the disk.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from kodos.config.load import load_config
from kodos.disklayout import Layout, disk_layout
from kodos.errors import KodosError
from kodos.install import checks
from kodos.install.disk import InstallRefused, Survey, survey
from kodos.install.options import InstallOptions, Prepared
from kodos.steps import OnStep


class InstallFailed(KodosError):
    """A step of the install failed; nothing stays mounted or attached."""


@dataclass(frozen=True, slots=True)
class InstallResult:
    device: str
    generation: int
    esp_written_with_mtools: bool
    notes: tuple[str, ...] = ()


Confirm = Callable[[Survey, Layout], bool]


def install(options: InstallOptions, *, confirm: Confirm, on_step: OnStep) -> InstallResult:
    from kodos.system.mountns import enter_private_mount_namespace

    enter_private_mount_namespace()  # first, before anything could start a thread
    prepared = prepare(options)
    if options.image is not None:
        return _install_on_image(prepared, options.image, confirm, on_step)
    device = checks.configured_disk(prepared.loaded).device
    found = survey(device)
    checks.check_fits(found.size, prepared.layout, device)
    _confirmed(confirm, found, prepared.layout)
    return _build(prepared, device, on_step)


def _install_on_image(
    prepared: Prepared, image: Path, confirm: Confirm, on_step: OnStep
) -> InstallResult:
    """The image is checked and surveyed as a file; only once the user confirmed is it created
    or grown and attached to a loop device."""
    from kodos.install.disk import survey_image
    from kodos.install.image import attached_image, check_image

    size = checks.image_size(prepared.options.size)
    checks.check_fits(size, prepared.layout, str(image))
    check_image(image, size, str(prepared.options.size))
    _confirmed(confirm, survey_image(image, size), prepared.layout)
    check_image(image, size, str(prepared.options.size))  # still unused after the question
    with attached_image(image, size) as device:
        result = _build(prepared, device, on_step)
    return replace(result, device=str(image))


def _confirmed(confirm: Confirm, found: Survey, layout: Layout) -> None:
    if not confirm(found, layout):
        raise InstallRefused(
            f"not installed: erasing {found.device} was not confirmed; {checks.NOTHING_WRITTEN}"
        )


def prepare(options: InstallOptions) -> Prepared:
    """Every check that needs no device: the configuration, its disk, the repositories."""
    from kodos.install.system import BASE, system_packages

    if options.size is not None and options.image is None:
        raise InstallRefused("--size goes with --image FILE; nothing was written")
    loaded = load_config(options.config, lua_path=options.lua_path)
    disk = checks.configured_disk(loaded)
    layout = disk_layout(disk.swap_size, disk.esp_mount)
    mirror = checks.arch_mirror(loaded)
    source, index = checks.sync_index(mirror, options.sync_dir)
    kernel = checks.check_kernel(loaded, source, index)
    checks.check_configuration(options.config, source, options.lua_path)
    packages = [
        BASE,
        *system_packages(kernel, (n for repo in index.packages.values() for n in repo)),
    ]
    return Prepared(options, loaded, layout, mirror, packages)


def _build(prepared: Prepared, device: str, on_step: OnStep) -> InstallResult:
    from kodos.install.build import Progress, build

    progress = Progress(on_step)
    try:
        staged = build(prepared, device, progress)
    except (KodosError, OSError, KeyboardInterrupt) as err:
        reason = str(err) if not isinstance(err, KeyboardInterrupt) else "interrupted"
        raise InstallFailed(
            f"install failed at step {progress.current.value!r}: {reason}. Nothing is left "
            "mounted; run kodos install again to start over (the disk is repartitioned)"
        ) from err
    return InstallResult(device, 1, staged, tuple(progress.notes))
