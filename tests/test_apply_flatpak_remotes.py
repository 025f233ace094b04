"""Flatpak remotes as desired state, with the real flatpak, ostree and gpg: each `repos`
entry of type flatpak planned as `flatpak.remote[NAME]`, set up by `execute` before the apps
installed from it, changed, and removed only when kodos added it.

`hub` is a signed repository (its .flatpakrepo carries the key, as Flathub's does: verified);
`other` an unsigned one (`gpg_verify = false`). Each test plans a configuration against a root
of its own, executes the plan, writes the record apply would, and plans again.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from kodos.apply.execute import execute
from kodos.apply.work import StepFailed
from kodos.plan.build import PlanOptions, PlanResult, make_plan
from kodos.plan.model import Action
from kodos.system.btrfs import get_default, top_level
from tests.support.applying import change
from tests.support.btrfs import BtrfsMachine
from tests.support.flatpak import (
    FLATPAK_TOOLS,
    FlatpakRepo,
    build_flatpak_repo,
    flatpak,
    listed_apps,
)
from tests.support.tools import require_root, require_tools
from tests.test_apply import FIRST, apply, kodos, write_config
from tests.test_apply_execute import write_record

pytestmark = pytest.mark.system

HELLO = "flatpak:org.kodos.Hello"


@dataclass(frozen=True)
class Repos:
    hub: FlatpakRepo
    other: FlatpakRepo


@pytest.fixture(scope="module")
def repos(tmp_path_factory: pytest.TempPathFactory) -> Repos:
    require_tools(*FLATPAK_TOOLS, "busybox")
    require_root()
    base = tmp_path_factory.mktemp("remotes")
    (base / "hub").mkdir()
    (base / "other").mkdir()
    return Repos(build_flatpak_repo(base / "hub", signed=True), build_flatpak_repo(base / "other"))


@dataclass
class Machine:
    """A root planned and applied from configurations written in turn."""

    directory: Path

    @property
    def root(self) -> Path:
        return self.directory / "root"

    def plan(self, repos: dict[str, str], packages: list[str]) -> PlanResult:
        entries = "".join(f"    [{key!r}] = {lua},\n" for key, lua in repos.items())
        quoted = ", ".join(f'"{spec}"' for spec in packages)
        config = self.directory / "config"
        config.mkdir(exist_ok=True)
        (config / "configuration.lua").write_text(
            f'local repos = require("repos")\nreturn {{\n  repos = {{\n{entries}  }},\n'
            f"  packages = {{ {quoted} }},\n}}\n"
        )
        self.root.mkdir(exist_ok=True)
        return make_plan(PlanOptions(config=str(config), root=self.root))

    def apply(self, result: PlanResult) -> list[str]:
        """Execute the plan, record the generation; the steps that ran."""
        steps: list[str] = []
        execute(result.plan.changes, result.desired, self.root, esp=None, on_step=steps.append)
        write_record(self.root, result, result.desired)
        return steps

    def remotes(self) -> dict[str, tuple[str, str]]:
        """`flatpak remotes`: name → (URL, options beyond "system")."""
        listed = flatpak(self.root, "remotes", "--columns=name,url,options")
        rows = (line.split("\t") for line in listed.splitlines() if line)
        return {name: (url, options) for name, url, options, *_ in ([*r, ""] for r in rows)}

    def config_text(self) -> str:
        return (self.root / "var/lib/flatpak/repo/config").read_text()


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    return Machine(tmp_path)


def changes(result: PlanResult) -> dict[str, tuple[str, object]]:
    return {c.address: (c.action.value, c.after) for c in result.plan.changes}


def test_a_new_remote_is_added_then_used_in_one_apply(repos: Repos, machine: Machine) -> None:
    result = machine.plan({"flatpak": repos.hub.lua("hub")}, [HELLO])

    assert changes(result) == {
        "flatpak.app[org.kodos.Hello]": ("create", {"remote": "hub"}),
        "flatpak.remote[hub]": ("create", {"gpg_verify": True, "url": repos.hub.flatpakrepo_url}),
    }
    assert machine.apply(result) == ["configure-flatpak-remotes", "install-flatpaks"]
    assert machine.remotes() == {"hub": (repos.hub.url, "")}  # verified, with the file's key
    assert listed_apps(machine.root) == {"org.kodos.Hello": ("hub", "1.2.3")}
    assert "kodos-added-by=kodos\n" in machine.config_text()
    assert [
        c.address for c in machine.plan({"flatpak": repos.hub.lua("hub")}, [HELLO]).plan.changes
    ] == []


def test_a_changed_url_updates_the_remote(repos: Repos, machine: Machine) -> None:
    machine.apply(machine.plan({"flatpak": repos.hub.lua("hub")}, [HELLO]))

    # Another .flatpakrepo file, unsigned: flatpak reads it, kodos sets what it says.
    moved = machine.plan({"flatpak": repos.other.lua("hub")}, [HELLO])
    (update,) = moved.plan.changes
    assert (update.address, update.action, update.changed) == (
        "flatpak.remote[hub]", Action.UPDATE, ["gpg_verify", "url"],
    )  # fmt: skip
    assert machine.apply(moved) == ["configure-flatpak-remotes"]
    assert machine.remotes() == {"hub": (repos.other.url, "no-gpg-verify")}
    assert machine.plan({"flatpak": repos.other.lua("hub")}, [HELLO]).plan.changes == []

    # The repository's own URL: set as it is; the .flatpakrepo marks go.
    plain = f'repos.flatpak_repo("hub", "{repos.other.url}", {{ gpg_verify = false }})'
    assert machine.apply(machine.plan({"flatpak": plain}, [HELLO])) == ["configure-flatpak-remotes"]
    assert "kodos-flatpakrepo" not in machine.config_text()
    assert machine.plan({"flatpak": plain}, [HELLO]).plan.changes == []

    # Back to the signed one, verified again with the key its file brings: a new app installs.
    back = machine.plan({"flatpak": repos.hub.lua("hub")}, [HELLO, "flatpak:org.kodos.NoVersion"])
    assert machine.apply(back) == ["configure-flatpak-remotes", "install-flatpaks"]
    assert machine.remotes() == {"hub": (repos.hub.url, "")}
    assert listed_apps(machine.root)["org.kodos.NoVersion"] == ("hub", "")
    again = machine.plan({"flatpak": repos.hub.lua("hub")}, [HELLO, "flatpak:org.kodos.NoVersion"])
    assert again.plan.changes == []


def test_a_remote_kodos_added_is_removed_with_its_apps(repos: Repos, machine: Machine) -> None:
    machine.apply(machine.plan({"flatpak": repos.other.lua("other")}, [HELLO]))

    dropped = machine.plan({}, [])

    assert changes(dropped) == {
        "flatpak.app[org.kodos.Hello]": ("delete", None),
        "flatpak.remote[other]": ("delete", None),
    }
    assert machine.apply(dropped) == ["uninstall-flatpaks", "remove-flatpak-remotes"]
    assert machine.remotes() == {}
    assert machine.plan({}, []).plan.changes == []


def test_a_remote_added_by_hand_is_left_alone(repos: Repos, machine: Machine) -> None:
    machine.root.mkdir()
    flatpak(machine.root, "remote-add", "--no-gpg-verify", "byhand", repos.other.url)
    by_hand = f'repos.flatpak_repo("byhand", "{repos.other.url}", {{ gpg_verify = false }})'

    # Not in the configuration: not planned.
    result = machine.plan({"flatpak": repos.hub.lua("hub")}, [HELLO])
    assert "flatpak.remote[byhand]" not in changes(result)
    machine.apply(result)

    # In the configuration as it is: managed from now on, unmarked; dropped again: it stays.
    adopted = machine.plan({"flatpak": repos.hub.lua("hub"), "mine": by_hand}, [HELLO])
    assert adopted.plan.changes == []
    write_record(machine.root, adopted, adopted.desired)

    assert machine.plan({"flatpak": repos.hub.lua("hub")}, [HELLO]).plan.changes == []
    assert set(machine.remotes()) == {"hub", "byhand"}


def test_an_app_from_a_remote_nobody_set_up_is_refused(machine: Machine) -> None:
    machine.root.mkdir()
    install = change(
        "flatpak", "app", "org.kodos.Hello", Action.CREATE, after={"remote": "nowhere"}
    )

    with pytest.raises(StepFailed) as failed:
        execute([install], {}, machine.root, esp=None)

    assert str(failed.value) == (
        "check the plan (flatpak.app[org.kodos.Hello]): the Flatpak remote 'nowhere' is "
        "neither in the configuration nor set up in the target's system installation: add it "
        "with repos.flatpak_repo('nowhere', URL)"
    )
    assert not (machine.root / "var/lib/flatpak").exists()


def test_a_remote_apps_still_use_is_not_removed(repos: Repos, machine: Machine) -> None:
    machine.apply(machine.plan({"flatpak": repos.other.lua("other")}, [HELLO]))
    flatpak(machine.root, "install", "-y", "--noninteractive", "other", "org.kodos.NoVersion")

    dropped = machine.plan({}, [])
    with pytest.raises(StepFailed) as failed:
        execute(dropped.plan.changes, dropped.desired, machine.root, esp=None)

    assert str(failed.value) == (
        "check the plan (flatpak.remote[other]): the Flatpak remote 'other' cannot be removed: "
        "org.kodos.NoVersion installed from it would stay (uninstall them, or keep the remote "
        "in the configuration)"
    )
    assert set(listed_apps(machine.root)) == {"org.kodos.Hello", "org.kodos.NoVersion"}


# ---- on a real Btrfs machine: each generation has its own installation ---------------------


def test_a_rollback_restores_the_remotes_and_apps_of_its_generation(
    repos: Repos, btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    # The machine's own configuration (a kernel, so each generation boots), and Flatpak.
    with_hello = "local repos = require('repos')\n" + FIRST.replace(
        'packages = { "htop" },',
        f'packages = {{ "htop", "{HELLO}" }},\n    repos = {{ flatpak = {repos.hub.lua("hub")} }},',
    )
    first = apply(btrfs_machine, write_config(tmp_path, with_hello))
    assert first.returncode == 0, first.stderr
    second = apply(btrfs_machine, write_config(tmp_path, FIRST, "second"))
    assert second.returncode == 0, second.stderr

    with top_level(btrfs_machine.fs) as top:
        one, two = (top / f"kodos/generations/{n}" for n in (1, 2))
        assert listed_apps(one) == {"org.kodos.Hello": ("hub", "1.2.3")}
        assert "hub" in flatpak(one, "remotes", "--columns=name").split()
        assert listed_apps(two) == {}
        assert flatpak(two, "remotes", "--columns=name").split() == []
    # The running root (the adopted generation 0) was never changed.
    assert not (btrfs_machine.root / "var/lib/flatpak").exists()

    rolled = kodos("rollback", "1", "--root", btrfs_machine.root)
    assert rolled.returncode == 0, rolled.stderr
    with top_level(btrfs_machine.fs) as top:
        assert get_default(top) == "kodos/generations/1"


def test_a_verified_remote_refuses_an_unsigned_repository(repos: Repos, machine: Machine) -> None:
    # hub's .flatpakrepo (its key) pointing at the unsigned repository: flatpak must refuse.
    forged = machine.directory / "forged.flatpakrepo"
    text = repos.hub.description.read_text().replace(repos.hub.url, repos.other.url)
    forged.write_text(text)
    result = machine.plan({"flatpak": f'repos.flatpak_repo("hub", "file://{forged}")'}, [HELLO])

    with pytest.raises(StepFailed) as failed:
        execute(result.plan.changes, result.desired, machine.root, esp=None)

    # flatpak checks the summary's signature as it adds the remote (and fails, leaving the
    # remote verified; apply throws such a generation away): nothing is installed.
    assert str(failed.value).startswith(
        "configure Flatpak remotes (flatpak.remote[hub]): flatpak failed with exit code 1: "
        "GPG verification enabled, but no summary signatures found"
    ), failed.value
    assert machine.remotes() == {"hub": (repos.other.url, "")}
    assert listed_apps(machine.root) == {}


def test_a_remote_url_that_is_not_one_is_refused(machine: Machine) -> None:
    machine.root.mkdir()
    add = change(
        "flatpak", "remote", "hub", Action.CREATE, after={"url": "--help", "gpg_verify": True}
    )

    with pytest.raises(StepFailed) as failed:
        execute([add], {}, machine.root, esp=None)

    assert str(failed.value) == (
        "check the plan (flatpak.remote[hub]): '--help' is not a remote URL kodos hands flatpak "
        "(http(s):// or file://)"
    )
    assert not (machine.root / "var/lib/flatpak").exists()
