"""Where an update comes from (issue 12.3): "changed outside kodos" only when the machine
differs from what the last generation recorded (secrets by digest), "the configuration
changed" otherwise, "here before kodos" for what kodos did not manage yet; and the lines that
say what apply does besides the changes (issue 12.2). Every case is pinned as its exact line."""

from __future__ import annotations

from typing import Any

import pytest

from kodos.apply.transaction import _redacted
from kodos.plan.build import adopted
from kodos.plan.diff import diff
from kodos.plan.followups import plan_follow_ups
from kodos.plan.model import Base, ConfigRef, Plan, Reason, summarize
from kodos.plan.render import render_plan
from kodos.resources import Resource, ResourceSet
from kodos.secrets import SealedSecret, seal

SHELL = "users.user[ada]"
HOSTNAME = "files.file[/etc/hostname]"


def user(shell: str, password: str | SealedSecret = "$6$one") -> Resource:
    return Resource(
        "users",
        "user",
        "ada",
        {"shell": shell, "password": password},
        frozenset({"password"}),
        source='users["ada"]',
    )


def hostname(content: str) -> Resource:
    return Resource(
        "files", "file", "/etc/hostname", {"content": content, "mode": "0644"}, source="network"
    )


def plan_of(
    desired: list[Resource],
    actual: list[Resource],
    managed: frozenset[str],
    recorded: dict[str, dict[str, Any]] | None = None,
) -> Plan:
    wanted, have = ResourceSet(desired), ResourceSet(actual)
    changes = diff(wanted, have, managed, recorded=recorded)
    return Plan(
        kodos_version="test",
        base=Base(root="/", generation=4, state_digest="sha256:0"),
        config=ConfigRef(path="configuration.lua", digest="sha256:1"),
        changes=changes,
        summary=summarize(changes),
        follow_ups=plan_follow_ups(changes),
        reboot_required=bool(changes),
        adopted=adopted(wanted, have, managed, changes),
    )


def head(plan: Plan) -> str:
    return render_plan(plan).splitlines()[4]


MANAGED = frozenset({SHELL, HOSTNAME})


def test_the_machine_as_recorded_and_a_new_configuration_is_a_configuration_change() -> None:
    plan = plan_of(
        [user("/bin/zsh")], [user("/bin/bash")], MANAGED, {SHELL: {"shell": "/bin/bash"}}
    )
    assert head(plan) == '  ~ users.user[ada]  (the configuration changed; from users["ada"])'
    assert plan.changes[0].reason == Reason.CONFIGURATION_CHANGED


def test_the_machine_changed_since_the_record_is_drift() -> None:
    plan = plan_of(
        [hostname("box\n")], [hostname("other\n")], MANAGED, {HOSTNAME: {"content": "box\n"}}
    )
    assert head(plan) == "  ~ files.file[/etc/hostname]  (changed outside kodos; from network)"


def test_a_configuration_change_and_drift_together_say_drift() -> None:
    plan = plan_of(
        [hostname("new\n")], [hostname("other\n")], MANAGED, {HOSTNAME: {"content": "box\n"}}
    )
    assert head(plan) == "  ~ files.file[/etc/hostname]  (changed outside kodos; from network)"


@pytest.mark.parametrize(
    "recorded", [None, {}, {HOSTNAME: {}}], ids=["no-record", "no-entry", "no-key"]
)
def test_a_record_that_does_not_say_is_no_evidence_of_drift(
    recorded: dict[str, dict[str, Any]] | None,
) -> None:
    plan = plan_of([hostname("new\n")], [hostname("old\n")], MANAGED, recorded)
    assert head(plan) == "  ~ files.file[/etc/hostname]  (the configuration changed; from network)"


@pytest.mark.parametrize(
    ("on_machine", "recorded", "words"),
    [
        ("$6$one", {"sealed": seal("$6$one").digest}, "the configuration changed"),
        ("$6$other", {"sealed": seal("$6$one").digest}, "changed outside kodos"),
        (seal("$6$one"), {"sealed": seal("$6$one").digest}, "the configuration changed"),
        (seal("$6$other"), {"sealed": seal("$6$one").digest}, "changed outside kodos"),
        ("$6$other", "(sensitive)", "the configuration changed"),  # an older record
    ],
    ids=["same-hash", "other-hash", "facts-same", "facts-other", "redacted"],
)
def test_secrets_are_compared_by_digest(
    on_machine: str | SealedSecret, recorded: object, words: str
) -> None:
    plan = plan_of(
        [user("/bin/sh", "$6$new")],
        [user("/bin/sh", on_machine)],
        MANAGED,
        {SHELL: {"shell": "/bin/sh", "password": recorded}},
    )
    assert head(plan) == f'  ~ users.user[ada]  ({words}; from users["ada"])'
    assert render_plan(plan).splitlines()[5] == "      password: (sensitive, changes)"


def test_what_was_here_before_kodos_says_once_that_kodos_manages_it_now() -> None:
    packages = [
        Resource("pacman", "package", name, {"reason": "explicit"}, source=f"packages[{i}]")
        for i, name in enumerate(("curl", "git", "vim"), 1)
    ]
    machine = [
        Resource("pacman", "package", "curl", {"version": "8-1", "reason": "dependency"}),
        Resource("pacman", "package", "git", {"version": "2-1", "reason": "explicit"}),
        Resource("pacman", "package", "vim", {"version": "9-1", "reason": "explicit"}),
    ]
    plan = plan_of(packages, machine, frozenset({"pacman.package[vim]"}))
    lines = render_plan(plan).splitlines()
    assert lines[4] == (
        "  ~ pacman.package[curl]  (here before kodos; kodos manages it from now on; "
        "from packages[1])"
    )
    assert plan.changes[0].reason == Reason.ADOPTED
    assert plan.adopted == ["pacman.package[git]"]  # vim was managed already; curl said so
    assert (
        "Here before kodos, managed by kodos from now on (it may remove them once the "
        "configuration drops them): pacman.package[git]"
    ) in lines
    # once managed (the next generation's record lists them), nothing is said any more
    managed = frozenset(r.address for r in packages)
    again = plan_of(
        packages,
        [
            *machine[1:],
            Resource("pacman", "package", "curl", {"version": "8-1", "reason": "explicit"}),
        ],
        managed,
    )
    assert again.adopted == [] and again.changes == []


def test_follow_ups_and_the_reboot_line() -> None:
    files = [
        Resource("files", "file", path, {"content": "x\n", "mode": "0644"})
        for path in ("/etc/locale.gen", "/etc/mkinitcpio.conf.d/kodos.conf", "/etc/sysctl.d/1.conf")
    ]
    dropped = Resource("files", "file", "/etc/old.conf", {"content": "y\n", "mode": "0644"})
    plan = plan_of(files, [dropped], frozenset({dropped.address}))
    text = render_plan(plan)
    assert (
        "Apply also does, in the new generation:\n"
        "  run locale-gen  (for files.file[/etc/locale.gen])\n"
        "  run mkinitcpio -P  (for files.file[/etc/mkinitcpio.conf.d/kodos.conf])\n"
        "  systemd-sysctl applies it when the generation boots; sysctl --system would change "
        "the running system, not the generation  (for files.file[/etc/sysctl.d/1.conf])\n"
        "  put back the version a package ships, if one ships it  (for files.file[/etc/old.conf])\n"
        "  copy the new generation's kernel and initramfs to the ESP and write its boot entry\n"
        "\n"
    ) in text
    assert text.endswith(
        "Takes effect when the machine boots the new generation (reboot needed).\n"
        "Plan: 3 to add, 0 to change, 1 to destroy.\n"
    )
    assert plan.model_dump(mode="json")["follow_ups"][0] == {
        "action": "run locale-gen",
        "because": ["files.file[/etc/locale.gen]"],
    }
    assert plan.reboot_required is True


def test_an_empty_plan_needs_no_reboot_and_runs_nothing() -> None:
    same = hostname("box\n")
    plan = plan_of([same], [same], frozenset({same.address}))
    assert (plan.follow_ups, plan.reboot_required) == ([], False)
    assert render_plan(plan).endswith("No changes. The system matches the configuration.\n")


def test_the_record_keeps_a_secret_as_the_digest_of_what_the_generation_holds() -> None:
    desired = ResourceSet([user("/bin/sh", "$6$configured")])
    verified = ResourceSet([user("/bin/sh", "$6$on-disk")])
    assert _redacted(desired, verified) == {
        SHELL: {"shell": "/bin/sh", "password": {"sealed": seal("$6$on-disk").digest}}
    }
    assert _redacted(desired, ResourceSet()) == {
        SHELL: {"shell": "/bin/sh", "password": "(sensitive)"}
    }
