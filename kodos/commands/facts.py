"""`kodos facts`: the actual state of a machine as JSON, to plan against without it."""

from __future__ import annotations

import json
from pathlib import Path

from kodos.jsonfile import write_json
from kodos.machine import facts_of, read_machine


def run_facts(root: Path, config: str | None, out: Path | None) -> int:
    addresses: frozenset[str] = frozenset()
    if config is not None:
        addresses = _configured_addresses(config)
    facts = facts_of(read_machine(root, addresses)).model_dump(mode="json")
    if out is not None:
        write_json(out, facts)
    else:
        print(json.dumps(facts, indent=2, ensure_ascii=False))
    return 0


def _configured_addresses(config: str) -> frozenset[str]:
    """The configuration's own resources (files among them), so the facts hold what a plan of
    that configuration will compare. Package resolution is not needed for that."""
    from kodos.config.load import load_config
    from kodos.desired import build_desired
    from kodos.resources import address_of

    loaded = load_config(config)
    desired = build_desired(loaded.config, loaded.file.parent)
    aur = {address_of("aur", "package", r.name) for r in desired.packages if r.source == "aur"}
    return frozenset(desired.resources) | aur
