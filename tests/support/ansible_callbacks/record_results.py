"""An Ansible callback for the tests: every task's result per host, written as JSON.

ansible-core's own JSON callback lives in the ansible.posix collection, which the tests do not
install; this one writes `{task name: {host: result}}` to the file named by
KODOS_TEST_ANSIBLE_RESULTS when the playbook ends, beside the normal output.
"""

from __future__ import annotations

import json
import os
from typing import Any

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):  # type: ignore[misc]
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self.results: dict[str, dict[str, Any]] = {}

    def _record(self, result: Any, **outcome: bool) -> None:
        by_host = self.results.setdefault(result._task.get_name(), {})
        by_host[result._host.get_name()] = {**result._result, **outcome}

    def v2_runner_on_ok(self, result: Any) -> None:
        self._record(result)

    def v2_runner_on_failed(self, result: Any, ignore_errors: bool = False) -> None:
        self._record(result, failed=True)

    def v2_runner_on_skipped(self, result: Any) -> None:
        self._record(result)

    def v2_playbook_on_stats(self, stats: Any) -> None:
        with open(os.environ["KODOS_TEST_ANSIBLE_RESULTS"], "w", encoding="utf-8") as stream:
            json.dump(self.results, stream, default=str)
