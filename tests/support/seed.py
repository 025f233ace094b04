"""The seed's example configuration (tests/fixtures/seed), and the same with its one syntax
error fixed — made from it at test time, so the two cannot drift apart."""

from __future__ import annotations

from pathlib import Path

import pytest

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "configuration.lua"
DASHED_KEY = "        demo-user = {"
QUOTED_KEY = '        ["demo-user"] = {'


@pytest.fixture(scope="session")
def corrected_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory holding the seed configuration with `["demo-user"] = {`."""
    text = SEED.read_text(encoding="utf-8")
    assert DASHED_KEY in text
    directory = tmp_path_factory.mktemp("seed-corrected")
    (directory / "configuration.lua").write_text(text.replace(DASHED_KEY, QUOTED_KEY))
    return directory
