"""What the benchmarks stand on (benchmarks/README.md): the timing hooks find every step of
the real `make_plan` and of `kodos apply`, the generated machines and configurations are
valid, and the harness interleaves a subject with its baseline and prints the goals' verdicts.
The benchmarks themselves are not run here (they measure; CI does not time)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kodos.config.load import load_config
from kodos.plan.build import build_plan
from kodos.plan.diff import diff
from kodos.plan.offline import SyncOptions, check_offline
from kodos.steps import shown_steps
from tests.support.bigplan import write_plan_machine
from tests.support.btrfs import BtrfsMachine
from tests.support.mirror import remove_sync_caches_serving
from tests.support.timed_kodos import PLAN_STEPS, TOTAL, collected
from tests.support.workstation import write_workstation
from tests.test_apply import FIRST, REPO, write_config

sys.path.insert(0, str(REPO / "benchmarks"))
import harness


def test_the_plan_hooks_time_every_step_of_the_real_make_plan(tmp_path: Path) -> None:
    machine = write_plan_machine(tmp_path, 100)
    with collected() as events:
        plan = build_plan(machine.options())
    heard = [event["call"] for event in events]
    printing = PLAN_STEPS[-1][2]  # the command's, not make_plan's
    assert set(heard) == {label for _, _, label in PLAN_STEPS} - {printing}
    assert heard[-1] == TOTAL  # recorded as each call ends: make_plan last
    total = events[-1]
    assert all(total["start"] <= e["start"] <= e["end"] <= total["end"] for e in events)
    assert plan.summary.add > 200 and plan.summary.change > 50


def test_the_plan_hooks_are_undone_after() -> None:
    from kodos.plan import diff as module

    with collected():
        assert module.diff is not diff
    assert module.diff is diff


def test_a_plan_process_through_the_hooks_streams_its_steps(tmp_path: Path) -> None:
    machine = write_plan_machine(tmp_path, 40)
    run = harness.timed_kodos(machine.plan_arguments())
    calls = [event["call"] for event in run.events]
    assert calls[-1] == PLAN_STEPS[-1][2] and TOTAL in calls
    assert run.start < run.events[0]["start"] and run.events[-1]["end"] < run.end
    assert json.loads(run.stdout)["summary"]["add"] > 0


def test_the_workstation_configuration_is_valid_and_the_size_asked_for(tmp_path: Path) -> None:
    workstation = write_workstation(tmp_path, 1000)
    loaded = load_config(str(tmp_path))
    # what `kodos validate` checks after the model (benchmarks/validate.py runs it)
    assert check_offline(loaded, SyncOptions()).problems == []
    assert abs(workstation.total_lines - 1000) <= 5
    assert len(loaded.config.users) >= 3 and len(loaded.config.services) >= 20


def test_rounds_interleave_the_subject_and_its_baseline() -> None:
    heard: list[str] = []

    def timer(name: str) -> harness.Timer:
        def run() -> float:
            heard.append(name)
            return float(len(heard))

        return run

    samples = harness.rounds({"a": timer("a"), "b": timer("b")}, 3)
    assert heard == ["b", "a", "a", "b", "b", "a", "a", "b"]  # a warm-up round, then reversed
    assert samples == {"a": [3.0, 6.0, 7.0], "b": [4.0, 5.0, 8.0]}


def test_the_figures_table_says_pass_or_by_how_much_it_is_over(
    capsys: pytest.CaptureFixture[str],
) -> None:
    harness.print_table(
        [
            harness.figure("fast", [0.010, 0.012, 0.011], 0.020),
            None,
            harness.Figure("slow", 1.5, None, 1.0, "s"),
            harness.Figure("ratio", 3.0, None, 1.5, "x"),
        ]
    )
    assert capsys.readouterr().out.splitlines() == [
        "measurement      median         min         goal  result",
        "fast            11.0 ms     10.0 ms   <= 20.0 ms  PASS",
        "",
        "slow            1.500 s               <= 1.000 s  over (+0.50 s)",
        "ratio             x3.00                 <= x1.50  over (x2.0)",
    ]


@pytest.mark.system
def test_an_apply_through_the_hooks_streams_every_step_in_order(
    btrfs_machine: BtrfsMachine, tmp_path: Path
) -> None:
    config = write_config(tmp_path, FIRST)
    argv = ["apply", "-c", str(config), "--root", str(btrfs_machine.root), "--yes"]
    run = harness.timed_kodos(argv)
    steps = [event for event in run.events if "step" in event]
    assert [event["step"] for event in steps] == [str(step) for step in shown_steps("apply")]
    assert [e["at"] for e in steps] == sorted(e["at"] for e in steps)
    assert "Built generation 1; it boots next." in run.stdout
    commands = [event["call"] for event in run.events if event.get("call", "").startswith("btrfs")]
    assert any(command.startswith("btrfs subvolume snapshot") for command in commands)


def test_only_the_sync_caches_serving_from_a_directory_are_removed(tmp_path: Path) -> None:
    work, caches, elsewhere = tmp_path / "work", tmp_path / "caches", tmp_path / "elsewhere"
    for name, mirror in (("ours", work / "mirror"), ("theirs", tmp_path / "workshop")):
        (caches / name / "sync").mkdir(parents=True)
        (caches / name / "pacman.conf").write_text(
            f"[core]\nServer = file://{mirror}/$repo/os/$arch\n"
        )
    elsewhere.mkdir()
    (elsewhere / "pacman.conf").write_text(f"Server = file://{work}/mirror/$repo/os/$arch\n")
    (caches / "linked").symlink_to(elsewhere)  # a link is never followed, nor removed
    (caches / "broken").mkdir()  # no pacman.conf

    assert remove_sync_caches_serving(work, caches) == [caches / "ours"]
    assert sorted(p.name for p in caches.iterdir()) == ["broken", "linked", "theirs"]
    assert (elsewhere / "pacman.conf").exists()
