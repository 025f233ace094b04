"""`execute` when it must not or cannot do what it is asked: a failing package transaction
leaves the target as it was, plans that could only be applied in part are refused before
anything changes, secrets never reach an error, nothing is written outside the target. And
what runs inside the target (scriptlets, follow-ups) sees a proper /dev and /proc, which are
unmounted afterwards.
"""

from __future__ import annotations

import os
import traceback
from pathlib import Path

import pytest

from kodos.apply.execute import execute
from kodos.apply.packages import pacman_notes, still_required
from kodos.apply.work import StepFailed
from kodos.pacman.localdb import InstalledPackage, InstallReason
from kodos.plan.model import Action, Change
from kodos.resources import ResourceSet
from kodos.secrets import PlainPassword
from kodos.system.runner import CommandFailed
from tests.support.applying import applicable_root, change, mounts_under, resource, tree
from tests.support.catalog import base_packages
from tests.support.fixtures import PACMAN_TOOLS
from tests.support.mirror import Mirror, Pkg, build_mirror
from tests.support.target import TargetRoot
from tests.support.tools import require_root, require_tools

HASH = "$6$kU.7yTW8t1moJO3R$.hLsZd13er8Yu0rO2F77u1F/3yu5kZOVeEwKEhLjs1sLu0QO5VQK0L.QXEr315TCfAjTwcnREbVot/aKCfPDn1"
PLAIN = "plain-secret-correct-horse"
# Scriptlets that report what they can see inside pacman's chroot, and one that fails.
PROBE = """post_install() {
  [ -c /dev/null ] && echo dev-null-is-a-device >> /var/probe
  [ -r /proc/self/status ] && echo proc-is-mounted >> /var/probe
  echo quiet > /dev/null
}
"""
FAILING = "post_install() {\n  echo 'about to fail'\n  exit 3\n}\n"


@pytest.fixture(scope="module")
def small_mirror(tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    require_tools(*PACMAN_TOOLS, "useradd", "chpasswd", "mount", "chroot")
    require_root()
    extra = [
        Pkg("probe", "1-1", install=PROBE),
        Pkg("failing-scriptlet", "1-1", install=FAILING),
        Pkg("tool", "1-1", files={"usr/bin/tool": "#!/bin/sh\necho tool\n"}),
    ]
    return build_mirror(tmp_path_factory.mktemp("small-mirror"), [*base_packages(), *extra])


@pytest.fixture
def root(tmp_path: Path, small_mirror: Mirror) -> TargetRoot:
    return applicable_root(tmp_path, small_mirror)


def install(*names: str) -> list[Change]:
    return [
        change("pacman", "package", n, Action.CREATE, after={"reason": "explicit"}) for n in names
    ]


def hostname_file() -> Change:
    return change(
        "files", "file", "/etc/hostname", Action.CREATE, after={"content": "h\n", "mode": "0644"}
    )


def installed(root: TargetRoot) -> list[str]:
    return root.query("-Q")


# ---- a failing package transaction ----------------------------------------------------------


@pytest.mark.system
def test_a_missing_package_fails_naming_pacman_and_it_and_changes_nothing(
    root: TargetRoot,
) -> None:
    changes = [*install("tool", "no-such-package"), hostname_file()]
    log = root.path / "var/log/pacman.log"
    log_before = log.read_text()
    before = tree(root.path)
    steps: list[str] = []

    with pytest.raises(StepFailed) as raised:
        execute(changes, {}, root.path, esp=None, on_step=steps.append)

    failed = raised.value
    assert failed.step == "install packages"
    assert isinstance(failed.command, CommandFailed) and failed.__cause__ is failed.command
    assert failed.command.program == "pacman" and failed.command.exit_code == 1
    assert str(failed) == (
        "install packages (pacman.package[tool], pacman.package[no-such-package]): "
        "pacman failed with exit code 1: target not found: no-such-package"
    )
    assert steps == ["install-packages"]
    after = tree(root.path)
    # pacman logs the command it was asked to run, and nothing else changed at all.
    assert {path for path in after if after[path] != before.get(path)} == {"var/log/pacman.log"}
    logged = log.read_text().removeprefix(log_before).splitlines()
    assert len(logged) == 1 and "[PACMAN] Running 'pacman --root" in logged[0]
    assert installed(root) == ["base 3-2", "busybox 1.36.1-2", "filesystem 2024.11.21-1"]


# ---- refused before anything changes --------------------------------------------------------


@pytest.mark.system
def test_aur_packages_nothing_built_are_refused_first(root: TargetRoot) -> None:
    before = tree(root.path)
    changes = [
        *install("tool"),
        change("aur", "package", "floorp-bin", Action.CREATE, after={"reason": "explicit"}),
        hostname_file(),
    ]

    with pytest.raises(
        StepFailed,
        match=r"aur\.package\[floorp-bin\]: not built for this apply \(no local AUR repository "
        r"was given\)",
    ):
        execute(changes, {}, root.path, esp=None)

    assert tree(root.path) == before


@pytest.mark.system
def test_paths_leaving_the_target_are_refused(root: TargetRoot) -> None:
    escape = change(
        "files", "file", "/etc/../../escaped", Action.CREATE, after={"content": "x", "mode": "0644"}
    )

    with pytest.raises(StepFailed, match=r"refusing a path with '\.\.' components"):
        execute([escape], {}, root.path, esp=None)


@pytest.mark.system
def test_a_symlink_out_of_the_target_is_followed_inside_it(
    root: TargetRoot, tmp_path: Path
) -> None:
    host = tmp_path / "host-directory"
    host.mkdir()
    (root.path / "etc/elsewhere").symlink_to(host)  # absolute: means the target's own path
    write = change(
        "files", "file", "/etc/elsewhere/x", Action.CREATE, after={"content": "y\n", "mode": "0600"}
    )

    umask = os.umask(0o077)
    try:
        execute([write], {}, root.path, esp=None)
    finally:
        os.umask(umask)

    assert list(host.iterdir()) == []
    inside = root.path / str(host).lstrip("/") / "x"
    assert inside.read_text() == "y\n" and inside.stat().st_mode & 0o777 == 0o600
    # The directories it had to create are usable whatever the umask was.
    assert inside.parent.stat().st_mode & 0o777 == 0o755


@pytest.mark.system
def test_a_redacted_secret_the_caller_did_not_pass_is_refused(root: TargetRoot) -> None:
    user = change(
        "users", "user", "carol", Action.CREATE,
        after={"home": "/home/carol", "password": "(sensitive)"}, sensitive=["password"],
    )  # fmt: skip

    with pytest.raises(StepFailed, match=r"password is redacted in the plan"):
        execute([user], {}, root.path, esp=None)
    assert "carol" not in (root.path / "etc/passwd").read_text()


@pytest.mark.system
def test_bootloader_changes_without_an_esp_are_refused(root: TargetRoot) -> None:
    loader = change("bootloader", "loader", "systemd-boot", Action.CREATE, after={"timeout": 3})

    with pytest.raises(StepFailed, match="boot loader changes need the ESP: none was given"):
        execute([loader], {}, root.path, esp=None)


@pytest.mark.system
@pytest.mark.parametrize("line_break", ["\n", "\r", "\x0b", "\x0c", "\x85", "\u2028"])
def test_a_value_that_would_start_another_line_is_refused(
    root: TargetRoot, line_break: str
) -> None:
    """Readers split loader.conf with `str.splitlines`: any break it knows starts a line."""
    timeout = f"3{line_break}default x"
    loader = change(
        "bootloader", "loader", "systemd-boot", Action.CREATE, after={"timeout": timeout}
    )
    (root.path / "boot/loader").mkdir(parents=True)

    with pytest.raises(StepFailed) as refused:
        execute([loader], {}, root.path, esp=root.path / "boot")

    assert "bootloader.loader[systemd-boot]: timeout must not contain a line break" in str(
        refused.value
    )
    assert not (root.path / "boot/loader/loader.conf").exists()


# ---- secrets --------------------------------------------------------------------------------


@pytest.mark.system
@pytest.mark.parametrize("secret", [HASH, PlainPassword(PLAIN)], ids=["hash", "plain"])
def test_secrets_never_reach_an_error(root: TargetRoot, secret: object) -> None:
    """useradd failing (a group that does not exist), then chpasswd failing (no such user)."""
    new = change(
        "users", "user", "carol", Action.CREATE,
        after={"home": "/home/carol", "groups": ["no-such-group"], "password": "(sensitive)"},
        sensitive=["password"],
    )  # fmt: skip
    ghost = change(
        "users", "user", "ghost", Action.UPDATE,
        before={"password": "(sensitive)"}, after={"password": "(sensitive)"},
        changed=["password"], sensitive=["password"],
    )  # fmt: skip
    desired = ResourceSet(
        [
            resource("users", "user", "carol", home="/home/carol", groups=["no-such-group"],
                     password=secret),
            resource("users", "user", "ghost", password=secret),
        ]
    )  # fmt: skip
    for changes, program in (([new], "useradd"), ([ghost], "chpasswd")):
        with pytest.raises(StepFailed) as raised:
            execute(changes, desired, root.path, esp=None)
        assert raised.value.command is not None and raised.value.command.program == program
        shown = "".join(traceback.format_exception(raised.value)) + repr(raised.value)
        shown += raised.value.command.output + repr(raised.value.command)
        assert HASH not in shown and PLAIN not in shown and HASH[:12] not in shown


# ---- what runs inside the target ------------------------------------------------------------


@pytest.mark.system
def test_scriptlets_see_dev_and_proc_which_are_gone_afterwards(root: TargetRoot) -> None:
    for directory in ("dev", "proc", "sys", "run"):
        (root.path / directory).mkdir()

    notes = execute(install("probe"), {}, root.path, esp=None)

    assert (root.path / "var/probe").read_text() == "dev-null-is-a-device\nproc-is-mounted\n"
    assert mounts_under(root.path) == []
    assert [p.name for p in (root.path / "dev").iterdir()] == []  # no stray dev/null file
    assert notes == []


@pytest.mark.system
def test_a_failed_scriptlet_fails_the_step_in_pacmans_words(root: TargetRoot) -> None:
    # pacman exits 0, but a generation whose package scripts failed is not one to boot
    with pytest.raises(StepFailed) as raised:
        execute(install("failing-scriptlet"), {}, root.path, esp=None)

    assert str(raised.value) == (
        "install packages (pacman.package[failing-scriptlet]): a package scriptlet or hook "
        "failed (error: command failed to execute correctly) after: installing "
        "failing-scriptlet... | about to fail"
    )


@pytest.mark.system
def test_follow_ups_run_inside_the_target_when_it_has_the_program(root: TargetRoot) -> None:
    (root.path / "dev").mkdir()
    locale_gen = root.path / "usr/bin/locale-gen"
    locale_gen.write_text("#!/bin/sh\n[ -c /dev/null ] && cat /etc/locale.gen > /var/generated\n")
    locale_gen.chmod(0o755)
    changes = [
        change("files", "file", "/etc/locale.gen", Action.CREATE,
               after={"content": "en_GB.UTF-8 UTF-8\n", "mode": "0644"}),
        change("files", "file", "/etc/sysctl.d/40-ipv6.conf", Action.CREATE,
               after={"content": "net.ipv6.conf.all.disable_ipv6 = 1\n", "mode": "0644"}),
    ]  # fmt: skip
    steps: list[str] = []

    notes = execute(changes, {}, root.path, esp=None, on_step=steps.append)

    assert (root.path / "var/generated").read_text() == "en_GB.UTF-8 UTF-8\n"
    assert steps == ["write-files", "follow-ups"]
    assert notes == [
        "/etc/sysctl.d/40-ipv6.conf changed: systemd-sysctl applies it when the generation "
        "boots; sysctl --system would change the running system, not the generation"
    ]
    assert mounts_under(root.path) == []


# ---- pure pieces ----------------------------------------------------------------------------


def _package(name: str, *depends: str, provides: tuple[str, ...] = ()) -> InstalledPackage:
    return InstalledPackage(name, "1-1", InstallReason.EXPLICIT, depends=depends, provides=provides)


def test_packages_still_needed_are_kept_with_what_they_need() -> None:
    installed = {
        p.name: p
        for p in (
            _package("gdb", "python>=3"),
            _package("python", "openssl"),
            _package("openssl"),
            _package("neofetch"),
            _package("pipewire-jack", provides=("jack",)),
            _package("jack2", provides=("jack",)),
            _package("ardour", "jack"),
        )
    }

    kept = still_required({"python", "openssl", "neofetch", "jack2"}, installed)

    # jack2 can go: pipewire-jack, staying, provides jack too.
    assert kept == {"python": "gdb", "openssl": "python"}


def test_pacman_warnings_become_notes() -> None:
    output = (
        "(1/2) installing tool\n"
        "warning: /etc/tool.conf installed as /etc/tool.conf.pacnew\n"
        "(2/2) installing probe\n"
        "error: command failed to execute correctly\n"
    )

    assert pacman_notes(output) == [
        "pacman warning: /etc/tool.conf installed as /etc/tool.conf.pacnew",
    ]
