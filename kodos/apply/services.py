"""services.unit and services.user_unit changes: `systemctl --root=TARGET enable|disable`.

`systemctl --root` reads the target's unit files and creates or removes the links their
[Install] sections name, without any running systemd; `--global` does the same for user units
(`etc/systemd/user`). Nothing is started or stopped, and `daemon-reload` is neither possible
nor needed offline: the generation's systemd reads its units when it boots.

An update is a unit in another state than `enabled`; a `masked` one is unmasked first (the
configuration asks for it enabled, and `enable` refuses a masked unit). All units of a scope
go to one systemctl call.
"""

from __future__ import annotations

from collections.abc import Sequence

from kodos.apply.work import Work, failing_as
from kodos.plan.model import Change
from kodos.system.runner import run

ENABLE_STEP = "enable units"
DISABLE_STEP = "disable units"


def enable(work: Work, changes: Sequence[Change]) -> None:
    for scope, chosen in _by_scope(changes):
        masked = [c.name for c in chosen if (c.before or {}).get("state") == "masked"]
        with failing_as(ENABLE_STEP, chosen):
            if masked:
                _systemctl(work, scope, "unmask", masked)
            _systemctl(work, scope, "enable", [c.name for c in chosen])


def disable(work: Work, changes: Sequence[Change]) -> None:
    for scope, chosen in _by_scope(changes):
        with failing_as(DISABLE_STEP, chosen):
            _systemctl(work, scope, "disable", [c.name for c in chosen])


def _by_scope(changes: Sequence[Change]) -> list[tuple[list[str], list[Change]]]:
    """System units, then user units (with `--global`), each group non-empty."""
    scopes: tuple[tuple[list[str], str], ...] = (([], "unit"), (["--global"], "user_unit"))
    grouped = [(scope, [c for c in changes if c.kind == kind]) for scope, kind in scopes]
    return [(scope, chosen) for scope, chosen in grouped if chosen]


def _systemctl(work: Work, scope: list[str], verb: str, units: list[str]) -> None:
    # --no-reload: there is no manager to reload; say so rather than rely on --root's default.
    run(["systemctl", f"--root={work.target}", "--no-reload", *scope, verb, *units])
