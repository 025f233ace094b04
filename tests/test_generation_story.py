"""Generations tell their story: the configuration each one keeps (secrets redacted), its diff
setting by setting, `kodos generations show N`, failed builds marked, older records read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from kodos.config.model import Config
from kodos.config.recorded import recorded_configuration
from kodos.generations.configdiff import setting_changes
from kodos.state.generation import RECORD_PATH, GenerationRecord, Status
from kodos.system import btrfs
from kodos.system.btrfs import top_level
from kodos.system.jsonfile import write_json
from tests.support.btrfs import BtrfsMachine
from tests.test_apply import FIRST, apply, kodos, write_config
from tests.test_generations import Built, build_generation
from tests.test_generations import built as built  # the fixture, used by name

PLAIN = "plain-Secret-7"
HASHED = "$6$saltsalt$Qz1p2L3x4c5v6b7n8m9aXyZ"


# ---- the configuration a record keeps -----------------------------------------------------


def test_the_recorded_configuration_keeps_what_was_set_and_no_secret() -> None:
    config = Config.model_validate(
        {
            "users": {
                "alice": {"password": PLAIN, "shell": "/bin/zsh"},
                "root": {"hashed_password": HASHED},
                "bob": {"no_password": True, "services": {"x": {"enable": True}}},
            },
            "packages": ["htop"],
            "network": {"hostname": "box"},
        }
    )

    recorded = recorded_configuration(config)

    assert recorded == {
        "users": {
            "alice": {"password": "(sensitive)", "shell": "/bin/zsh"},
            "root": {"hashed_password": "(sensitive)"},
            "bob": {"no_password": True, "services": {"x": {"enable": True}}},
        },
        "packages": ["htop"],
        "network": {"hostname": "box"},
    }
    text = json.dumps(recorded)
    assert PLAIN not in text and HASHED not in text and "saltsalt" not in text


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[tuple[str, str, Any, Any]]:
    return [(c.path, c.change.value, c.before, c.after) for c in setting_changes(before, after)]


def test_settings_differ_by_path() -> None:
    before = {"users": {"demo": {"shell": "/bin/bash", "extra_groups": ["wheel"]}}}
    after = {"users": {"demo": {"shell": "/bin/zsh", "extra_groups": ["wheel", "audio"]}}}
    assert changes(before, after) == [
        ("users.demo.extra_groups", "added", None, "audio"),
        ("users.demo.shell", "changed", "/bin/bash", "/bin/zsh"),
    ]


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        # a table added shows each of its settings
        (
            {},
            {"services": {"sshd": {"enable": True, "settings": {"Port": 22}}}},
            [
                ("services.sshd.enable", "added", None, True),
                ("services.sshd.settings.Port", "added", None, 22),
            ],
        ),
        # a removed list shows its items
        (
            {"packages": ["a", "b"]},
            {},
            [("packages", "removed", "a", None), ("packages", "removed", "b", None)],
        ),
        # the same items in another order: the list changed as a whole
        (
            {"boot": {"kernel": {"options": ["quiet", "rw"]}}},
            {"boot": {"kernel": {"options": ["rw", "quiet"]}}},
            [("boot.kernel.options", "changed", ["quiet", "rw"], ["rw", "quiet"])],
        ),
        # a duplicate dropped is a removal
        ({"packages": ["a", "a"]}, {"packages": ["a"]}, [("packages", "removed", "a", None)]),
        # an empty table set, and a type changed
        (
            {"services": {}},
            {"services": {"x": {"enable": False}}},
            [
                ("services", "removed", {}, None),
                ("services.x.enable", "added", None, False),
            ],
        ),
        (
            {"network": {"ipv6": True}},
            {"network": {"ipv6": False}},
            [
                ("network.ipv6", "changed", True, False),
            ],
        ),
        # keys a configuration chooses are quoted as Lua would need them
        (
            {"users": {"demo-user": {"shell": "/bin/sh"}}},
            {"users": {"demo-user": {"shell": "/bin/zsh"}}},
            [('users["demo-user"].shell', "changed", "/bin/sh", "/bin/zsh")],
        ),
        ({"packages": ["a"]}, {"packages": ["a"]}, []),
    ],
)
def test_setting_change_variants(
    before: dict[str, Any], after: dict[str, Any], expected: list[tuple[str, str, Any, Any]]
) -> None:
    assert changes(before, after) == expected


def test_a_record_without_a_configuration_still_reads() -> None:
    older = {
        "format_version": "1",
        "id": 3,
        "parent": 2,
        "created": "2024-05-01T12:00:00Z",
        "status": "ready",
        "config_digest": "sha256:x",
        "managed": [],
    }
    record = GenerationRecord.model_validate(older)
    assert record.configuration is None and record.log is None


# ---- show and diff on a machine ------------------------------------------------------------


def rewrite_record(built: Built, gen_id: int, **changes: Any) -> None:
    with btrfs.top_level(built.kodos.fs) as top:
        path = top / f"kodos/generations/{gen_id}" / RECORD_PATH
        data = {**json.loads(path.read_text()), **changes}
        write_json(path, data)


def put_on_top_level(built: Built, relative: str, text: str) -> None:
    with btrfs.top_level(built.kodos.fs) as top:
        (top / relative).parent.mkdir(parents=True, exist_ok=True)
        (top / relative).write_text(text)


@pytest.mark.system
def test_show_tells_one_generation_whole(built: Built) -> None:
    rewrite_record(built, 2, log="kodos/logs/2.log")
    put_on_top_level(built, "kodos/logs/2.log", "planned 3 changes\napplied\n")

    shown = built.ok("generations", "show", "2")

    (entry_file,) = (built.esp / "loader/entries").glob("kodos-2[+.]*conf")
    entry = entry_file.read_text()
    assert shown == (
        "generation 2 (default, on trial)\n"
        "  created    2024-05-03 12:00:00\n"
        "  parent     1\n"
        "  status     ready\n"
        "  subvolume  kodos/generations/2\n"
        "  kernel     linux\n"
        "  packages   4\n"
        "  managed    3\n"
        "  config     sha256:2\n"
        "\n"
        "configuration:\n"
        '  network.hostname = "two"\n'
        '  packages = ["htop", "vim"]\n'
        "  services.sshd.enable = true\n"
        "\n"
        "log: kodos/logs/2.log\n"
        "  planned 3 changes\n"
        "  applied\n"
        "\n"
        f"boot entry: {entry_file}\n" + "".join(f"  {line}\n" for line in entry.splitlines())
    )
    data = json.loads(built.ok("generations", "show", "2", "--json"))
    assert data["generation"]["default"] is True
    assert data["record"]["configuration"]["network"] == {"hostname": "two"}
    assert data["log"] == "planned 3 changes\napplied\n"
    assert data["boot_entry"] == entry


@pytest.mark.system
def test_show_says_what_it_does_not_know(built: Built) -> None:
    adopted = built.ok("generations", "show", "0")
    assert adopted.startswith("generation 0 (running)\n")
    assert "\nconfiguration: none (kodos adopted this root; no configuration built it)\n" in adopted
    assert "\nlog: none kept\n" in adopted
    assert "\nboot entry: " + str(built.esp) + "/loader/entries/kodos-0.conf\n" in adopted

    rewrite_record(built, 1, configuration=None, log="kodos/logs/1.log")
    older = built.ok("generations", "show", "1")
    assert "\nconfiguration: not kept (its record was written by an older kodos)\n" in older
    assert "\nlog: kodos/logs/1.log (it is gone)\n" in older

    assert built.fails("generations", "show", "7") == (
        "error: there is no generation 7 (generations: 0, 1, 2)\n"
    )


@pytest.mark.system
def test_diff_with_a_record_that_kept_no_configuration(built: Built) -> None:
    rewrite_record(built, 1, configuration=None)
    assert built.ok("generations", "diff", "1", "2").endswith(
        "configuration: changed (generation 1 kept no settings: its record is older)\n"
    )
    data = json.loads(built.ok("generations", "diff", "1", "2", "--json"))
    assert (data["configuration"], data["not_kept"], data["config_changed"]) == (None, [1], True)


@pytest.mark.system
def test_diff_from_the_adopted_root_lists_the_whole_configuration(built: Built) -> None:
    text = built.ok("generations", "diff", "0", "1")
    assert text.endswith(
        "configuration: 3 added\n"
        '  + packages: "htop"\n'
        '  + packages: "nano"\n'
        '  + users.old.shell: "/bin/sh"\n'
    )


@pytest.mark.system
def test_a_failed_generation_is_marked_in_diff(built: Built) -> None:
    with btrfs.top_level(built.kodos.fs) as top:
        build_generation(built.kodos, top, 3, 2, status=Status.FAILED)
    text = built.ok("generations", "diff", "2", "3")
    assert text.splitlines()[0] == (
        "generation 2 → 3 (generation 3 failed: its build did not finish, it never booted)"
    )
    data = json.loads(built.ok("generations", "diff", "2", "3", "--json"))
    assert data["status"] == ["ready", "failed"]
    shown = built.ok("generations", "show", "3")
    assert "  status     failed\n" in shown
    assert f"\nboot entry: none ({built.esp}/loader/entries/kodos-3.conf does not exist)" in shown


@pytest.mark.system
def test_applied_generations_keep_their_configuration_and_never_a_password(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    first = FIRST.replace('shell = "/bin/sh"', f'shell = "/bin/sh", password = "{PLAIN}"')
    second = first.replace('"/bin/sh"', '"/bin/bash"').replace(
        "users = {", f'users = {{ root = {{ hashed_password = "{HASHED}" }},'
    )
    assert apply(btrfs_machine, write_config(tmp_path, first)).returncode == 0
    done = apply(btrfs_machine, write_config(tmp_path, second, "second"))
    assert done.returncode == 0, done.stderr

    def cli(*args: str) -> str:
        ran = kodos("generations", *args, "--root", btrfs_machine.root)
        assert ran.returncode == 0, ran.stderr
        return ran.stdout

    diffed = cli("diff", "1", "2")
    assert diffed.endswith(
        "managed: 1 added, 1 changed\n"
        "  + users.user[root]\n"
        "  ~ users.user[alice]\n"
        "configuration: 1 added, 1 changed\n"
        '  ~ users.alice.shell: "/bin/sh" → "/bin/bash"\n'
        '  + users.root.hashed_password: "(sensitive)"\n'
    )
    with top_level(btrfs_machine.fs) as top:
        records = [
            (top / f"kodos/generations/{n}" / RECORD_PATH).read_text(encoding="utf-8")
            for n in (1, 2)
        ]
    record = json.loads(records[1])
    assert record["configuration"]["users"]["alice"] == {
        "name": "Alice",
        "password": "(sensitive)",
        "shell": "/bin/bash",
    }
    everything = [*records, diffed, cli("show", "1"), cli("show", "2", "--json")]
    everything.append(cli("diff", "1", "2", "--json"))
    for text in everything:
        assert PLAIN not in text
        assert HASHED not in text and "Qz1p2L3x4c5v6b7n8m9aXyZ" not in text
