"""What a configuration section's annotations may carry, and what checking them reports.

A section (`kodos.config.sections`) declares each key with a type, a default and a
description (`Field`); `Annotated` adds checks (`AfterValidator`, `BeforeValidator`,
`PlainValidator`), a lower bound or a pattern (`Field(ge=..., pattern=...)`), the key that tells
a union's members apart (`Field(discriminator=...)`, or `Discriminator` with `Tag`s), and the
JSON Schema of a value its type does not describe (`WithJsonSchema`). The vocabulary is
pydantic's, and so are the problems' shapes (`ErrorDetails`): kodos described its
configuration with pydantic before, and `kodos.config.errors` phrases these problems.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal, TypedDict, TypeVar

T = TypeVar("T")

REQUIRED: Any = object()
"""The default of a key that must be given."""


class ErrorDetails(TypedDict):
    """One problem: its kind, where it is (keys and list positions from the top table), the
    message, the value found there, and the values the message was made from."""

    type: str
    loc: tuple[str | int, ...]
    msg: str
    input: Any
    ctx: dict[str, Any]


class ValidationError(ValueError):
    """Every problem found in one table, in the order of the keys that have them."""

    def __init__(self, title: str, details: list[ErrorDetails]) -> None:
        super().__init__(f"{len(details)} problem(s) validating {title}")
        self.title = title
        self._details = details

    def errors(self) -> list[ErrorDetails]:
        return list(self._details)


class CustomError(ValueError):
    """Raised by a check: a problem of kind `kind`, with `template` filled in from `ctx`."""

    def __init__(self, kind: str, template: str, ctx: dict[str, Any] | None = None) -> None:
        self.kind = kind
        self.ctx = ctx or {}
        self.message = template.format(**self.ctx)
        super().__init__(self.message)


class SecretStr:
    """A string that is never shown: its repr and str are stars."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get_secret_value(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "SecretStr('**********')" if self._value else "SecretStr('')"

    def __str__(self) -> str:
        return "**********" if self._value else ""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, SecretStr) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


# ---- what annotations may carry ----------------------------------------------------------


class FieldInfo:
    """A key's default and description, or (inside `Annotated`) a bound or a union's tag key."""

    __slots__ = ("annotation", "default", "description", "discriminator", "ge", "pattern")

    def __init__(
        self,
        default: Any = REQUIRED,
        description: str | None = None,
        ge: int | None = None,
        pattern: str | None = None,
        discriminator: str | None = None,
    ) -> None:
        self.annotation: Any = None  # filled in when the section's keys are resolved
        self.default = default
        self.description = description
        self.ge = ge
        self.pattern = pattern
        self.discriminator = discriminator

    def is_required(self) -> bool:
        return self.default is REQUIRED

    def constrains(self) -> bool:
        return self.ge is not None or self.pattern is not None or self.discriminator is not None


def Field(  # used like a class, as in pydantic
    default: Any = REQUIRED,
    *,
    description: str | None = None,
    ge: int | None = None,
    pattern: str | None = None,
    discriminator: str | None = None,
) -> Any:
    """A key's default and description (`x: int = Field(0, description=...)`), and what
    narrows its values: a lower bound (`ge`), a regular expression a string must match
    (`pattern`, searched as `re.search` does), the key that tells a union's members apart."""
    return FieldInfo(default, description, ge, pattern, discriminator)


class _Validator:
    """A function that checks a value: raises ValueError (or CustomError), or returns the
    value to keep."""

    __slots__ = ("func",)

    def __init__(self, func: Callable[[Any], Any]) -> None:
        self.func = func


class AfterValidator(_Validator):
    """Check (and possibly change) a value once its type is right."""

    __slots__ = ()


class BeforeValidator(_Validator):
    """Change a value before its type is checked (Lua's `{}` as an empty list)."""

    __slots__ = ()


class PlainValidator(_Validator):
    """Check a value with this function alone, instead of by its type."""

    __slots__ = ()


class WithJsonSchema:
    """The JSON Schema of a value whose type does not say it (see `kodos.config.jsonschema`)."""

    __slots__ = ("schema",)

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema


class Tag:
    """Names a member of a union told apart by a `Discriminator` function."""

    __slots__ = ("tag",)

    def __init__(self, tag: str) -> None:
        self.tag = tag


class Discriminator:
    """Tells a union's members apart by a function of the value, returning a member's `Tag`."""

    __slots__ = ("func",)

    def __init__(self, func: Callable[[Any], str | None]) -> None:
        self.func = func


class ValidationInfo:
    """What a field validator sees besides its value: the keys validated before it."""

    __slots__ = ("data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data


def field_validator(name: str) -> Callable[[Any], Any]:
    """Mark a classmethod `(cls, value, info) -> value` that checks key `name` once its type
    is right; a ValueError it raises is a problem at that key."""

    def mark(method: Any) -> Any:
        method.__func__._checks_field = name
        return method

    return mark


def model_validator(*, mode: Literal["after"]) -> Callable[[T], T]:
    """Mark a method `(self) -> self` that checks a whole section once all its keys are right;
    a ValueError it raises is a problem at the section."""
    del mode  # only "after" exists: a section's own checks see its validated keys

    def mark(method: T) -> T:
        method._checks_section = True  # type: ignore[attr-defined]
        return method

    return mark
