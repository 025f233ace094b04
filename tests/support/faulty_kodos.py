"""kodos with a fault at one step: the tests' own entry point, never part of an installed kodos.

    KODOS_TEST_FAIL_AT=STEP  python -m tests.support.faulty_kodos apply ...
    KODOS_TEST_PAUSE_AT=STEP python -m tests.support.faulty_kodos apply ...

Every step of `kodos apply` and `kodos install` passes `kodos.apply.transaction.checkpoint`.
This wrapper replaces that function, then runs the real CLI (`kodos.cli.main`): at the step the
variable names it fails (an `ApplyError`, reported as any error is) or prints
`kodos: paused at STEP` and sleeps, for a test to kill it. An installed kodos reads neither
variable (tests/test_faults.py proves it).
"""

from __future__ import annotations

import os
import sys
import time

from kodos.apply import transaction
from kodos.steps import OnStep, StepId

FAIL_AT = "KODOS_TEST_FAIL_AT"
PAUSE_AT = "KODOS_TEST_PAUSE_AT"
PAUSE_SECONDS = 3600


def main() -> None:
    reached = transaction.checkpoint

    def checkpoint(step: StepId, on_step: OnStep) -> None:
        reached(step, on_step)
        if os.environ.get(FAIL_AT) == step:
            raise transaction.ApplyError(f"injected failure at step {step.value!r}")
        if os.environ.get(PAUSE_AT) == step:
            print(f"kodos: paused at {step}", file=sys.stderr, flush=True)
            time.sleep(PAUSE_SECONDS)

    transaction.checkpoint = checkpoint
    from kodos.cli import main as kodos_main

    sys.argv[0] = "kodos"
    kodos_main()


if __name__ == "__main__":
    main()
