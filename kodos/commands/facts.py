"""`kodos facts`: the actual state of a machine as JSON, to plan against without it."""

from __future__ import annotations

from pathlib import Path

from kodos.plan.machine import facts_of, read_machine
from kodos.system.jsonfile import json_text
from kodos.system.outfile import check_out, write_out


def run_facts(root: Path, config: str | None, out: Path | None) -> int:
    """The facts of `root` as JSON, into `out` (see `kodos.system.outfile`) or onto standard
    output."""
    out = out or Path("-")
    check_out(out)
    addresses = _configured_addresses(config) if config is not None else _written_addresses(root)
    facts = facts_of(read_machine(root, addresses)).model_dump(mode="json")
    write_out(out, json_text(facts))
    return 0


def _configured_addresses(config: str) -> frozenset[str]:
    """The configuration's own resources (files among them), so the facts hold what a plan of
    that configuration will compare. Package resolution is not needed for that."""
    from kodos.config.load import load_config
    from kodos.desired import build_desired
    from kodos.plan.aur import helper_request
    from kodos.resources import address_of

    loaded = load_config(config)
    desired = build_desired(loaded.config, loaded.file.parent)
    requests = [*desired.packages, helper_request(loaded.config)]
    aur = {address_of("aur", "package", r.name) for r in requests if r and r.source == "aur"}
    return frozenset(desired.resources) | aur


def _written_addresses(root: Path) -> frozenset[str]:
    """Without a configuration: the files kodos's own expansions write (a hostname, the
    locale, mount units…), so a plan from these facts compares them as a live plan would."""
    from kodos.desired.written import written_paths
    from kodos.resources import address_of

    return frozenset(address_of("files", "file", path) for path in written_paths(root))
