"""The text view of a plan: legend, one block per change, the closing line."""

from __future__ import annotations

from kodos.plan.diff import diff
from kodos.plan.model import Action, Base, Change, ConfigRef, Plan, Reason, summarize
from kodos.plan.render import REASON_WORDS, render_plan
from kodos.resources import Resource, ResourceSet


def make_plan(desired: ResourceSet, actual: ResourceSet, managed: frozenset[str]) -> Plan:
    changes = diff(desired, actual, managed)
    return Plan(
        kodos_version="test",
        base=Base(root="/mnt/root", generation=3, state_digest="sha256:0"),
        config=ConfigRef(path="configuration.lua", digest="sha256:1"),
        changes=changes,
        summary=summarize(changes),
        notes=["shadow is not readable without root: password state unknown"],
    )


def test_render_every_action() -> None:
    desired = ResourceSet(
        [
            Resource("pacman", "package", "htop", {"reason": "explicit"}, source="packages[1]"),
            Resource("pacman", "package", "git", {"reason": "explicit"}, source="packages[2]"),
            Resource(
                "users",
                "user",
                "ada",
                {"gecos": "Ada", "groups": ["wheel"], "password": "$6$x$y"},
                frozenset({"password"}),
                source='users["ada"]',
            ),
            Resource("files", "file", "/etc/hostname", {"content": "new\n", "mode": "0644"}),
            Resource("flatpak", "app", "org.x.App", {"remote": "flathub"}),
        ]
    )
    actual = ResourceSet(
        [
            Resource("pacman", "package", "git", {"version": "2-1", "reason": "dependency"}),
            Resource("pacman", "package", "nano", {"version": "8-1", "reason": "explicit"}),
            Resource("files", "file", "/etc/hostname", {"content": "old\n", "mode": "0644"}),
            Resource("flatpak", "app", "org.x.App", {"remote": "other"}),
        ]
    )
    plan = make_plan(desired, actual, frozenset({"pacman.package[nano]"}))
    assert render_plan(plan) == (
        "Plan for configuration.lua against /mnt/root (generation 3)\n"
        "\n"
        "Legend: + create, ~ update in place, - delete, -/+ replace\n"
        "\n"
        "  ~ pacman.package[git]  (here before kodos; kodos manages it from now on; "
        "from packages[2])\n"
        '      reason: "dependency" -> "explicit"\n'
        '  + pacman.package[htop]  (from packages[1])  reason="explicit"\n'
        '  - pacman.package[nano]  (no longer in the configuration)  reason="explicit" version="8-1"\n'
        "  -/+ flatpak.app[org.x.App]  (here before kodos; kodos manages it from now on)\n"
        '      remote: "other" -> "flathub"\n'
        '  + users.user[ada]  (from users["ada"])  gecos="Ada" groups=["wheel"] password=(sensitive)\n'
        "  ~ files.file[/etc/hostname]  (here before kodos; kodos manages it from now on)\n"
        "      content:\n"
        "        @@ -1 +1 @@\n"
        "        -old\n"
        "        +new\n"
        "\n"
        "note: shadow is not readable without root: password state unknown\n"
        "\n"
        "Plan: 3 to add, 2 to change, 2 to destroy.\n"
    )


def test_render_no_changes() -> None:
    plan = make_plan(ResourceSet(), ResourceSet(), frozenset())
    text = render_plan(plan)
    assert text.endswith("No changes. The system matches the configuration.\n")
    assert "Legend" not in text


def test_new_file_content_is_shown_whole() -> None:
    desired = ResourceSet(
        [Resource("files", "file", "/etc/locale.conf", {"content": "LANG=C\nLC_TIME=C\n"})]
    )
    text = render_plan(make_plan(desired, ResourceSet(), frozenset()))
    assert (
        "  + files.file[/etc/locale.conf]\n      content:\n        + LANG=C\n        + LC_TIME=C\n"
        in text
    )


def test_every_reason_is_rendered_in_words() -> None:
    """The plan holds a reason as a value; only the renderer has the words, for every value."""

    def change(
        action: Action,
        reason: Reason,
        needed_by: str | None = None,
        dependency_of: str | None = None,
    ) -> Change:
        after = None if action == Action.DELETE else {"reason": "dependency"}
        before = None if action == Action.CREATE else {"reason": "explicit"}
        return Change(
            address=f"pacman.package[{reason.value}]",
            provider="pacman",
            kind="package",
            name=reason.value,
            action=action,
            before=before,
            after=after,
            changed=["reason"] if action == Action.UPDATE else [],
            source="packages[1]" if action == Action.CREATE else None,
            reason=reason,
            needed_by=needed_by,
            dependency_of=dependency_of,
        )

    changes = [
        change(Action.CREATE, Reason.REMOVED_OUTSIDE_KODOS),
        change(Action.UPDATE, Reason.CHANGED_OUTSIDE_KODOS),
        change(Action.DELETE, Reason.NO_LONGER_CONFIGURED),
        change(Action.UPDATE, Reason.KEPT_AS_DEPENDENCY, needed_by="zsh-autosuggestions"),
        change(Action.UPDATE, Reason.CONFIGURATION_CHANGED),
        change(Action.UPDATE, Reason.ADOPTED),
        change(Action.CREATE, Reason.PULLED_IN, dependency_of="pipewire-pulse"),
        change(Action.DELETE, Reason.TAKEN_ALONG, dependency_of="pipewire-pulse"),
    ]
    plan = make_plan(ResourceSet(), ResourceSet(), frozenset()).model_copy(
        update={"changes": changes}
    )

    heads = [line for line in render_plan(plan).splitlines() if "pacman.package" in line]
    assert heads == [
        "  + pacman.package[removed_outside_kodos]  (removed outside kodos; from packages[1])"
        '  reason="dependency"',
        "  ~ pacman.package[changed_outside_kodos]  (changed outside kodos)",
        "  - pacman.package[no_longer_configured]  (no longer in the configuration)"
        '  reason="explicit"',
        "  ~ pacman.package[kept_as_dependency]  (kept: needed by zsh-autosuggestions)",
        "  ~ pacman.package[configuration_changed]  (the configuration changed)",
        "  ~ pacman.package[adopted]  (here before kodos; kodos manages it from now on)",
        "  + pacman.package[pulled_in]  (dependency of pipewire-pulse; from packages[1])"
        '  reason="dependency"',
        "  - pacman.package[taken_along]  (dependency of pipewire-pulse, removed with it)"
        '  reason="explicit"',
    ]
    assert set(REASON_WORDS) == set(Reason)
