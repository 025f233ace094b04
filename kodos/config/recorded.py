"""The configuration as a generation keeps it: the validated model as JSON, secrets replaced.

A generation's record carries the configuration that built it, so `kodos generations diff`
and `show` can tell what was asked for, long after the Lua files changed. It is the *validated
model*, not the Lua source: the model knows which values are secrets (every `SecretStr` field:
`password`, `hashed_password`) and replaces each with `SENSITIVE_PLACEHOLDER`, where a secret in
Lua source could hide in any string. Only the keys the configuration set are kept (defaults
left out), so the record reads like the configuration that was written.
"""

from __future__ import annotations

from typing import Any

from kodos.config.fields import SecretStr
from kodos.config.model import Config
from kodos.config.sections import Section
from kodos.resources import SENSITIVE_PLACEHOLDER


def recorded_configuration(config: Config) -> dict[str, Any]:
    """`config` as plain JSON values, every secret replaced by "(sensitive)"."""
    # The dump keeps SecretStr objects as they are, so each secret is found by its type
    # rather than by its "**********" text, which a real value could also be.
    dumped = config.model_dump(exclude_unset=True)
    redacted = _redacted(dumped)
    assert isinstance(redacted, dict)
    return redacted


def _redacted(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return SENSITIVE_PLACEHOLDER
    if isinstance(value, Section):  # never in a dump, but a secret must not slip past
        return _redacted(value.model_dump(exclude_unset=True))
    if isinstance(value, dict):
        return {str(key): _redacted(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_redacted(item) for item in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"a configuration value of type {type(value).__name__} has no JSON form")
