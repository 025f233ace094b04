"""Strict validation of a configuration's tables into frozen sections.

A configuration arrives as plain data, the Lua table converted: dicts, lists, strings, numbers
and booleans. Each `Section` subclass declares its keys as annotated class attributes, the way a
dataclass does (with the vocabulary of `kodos.config.fields`); `Section.model_validate(data)`
checks a table against them and builds a frozen section, or raises `ValidationError` listing
every problem found, each with the path to it.

The rules are few and strict: unknown keys are errors, no value is converted to another type
("yes" is no boolean, 1 is no string), a key left out takes its default or is missing. Value
types are built from the annotations: str, bool, int, Any, Literal, `X | None`, list, dict,
sections, unions of sections told apart by a tag, and `Annotated` checks.

pydantic is not used here, although kodos's configuration was described with it and the
problems keep its shapes: importing it and building the configuration's classes took more than
half of `kodos validate`'s run (benchmarks/startup.py). The checks here are built from the
annotations when a section is first validated (or `prepare`d), in a few milliseconds.
"""

from __future__ import annotations

import inspect
import re
import sys
import types
import typing
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal, TypeVar, Union

from kodos.config.fields import (
    REQUIRED,
    AfterValidator,
    BeforeValidator,
    CustomError,
    Discriminator,
    ErrorDetails,
    FieldInfo,
    PlainValidator,
    SecretStr,
    Tag,
    ValidationError,
    ValidationInfo,
)

# ---- checking values -----------------------------------------------------------------------

Loc = tuple[str | int, ...]
Check = Callable[[Any, Loc, list[ErrorDetails]], Any]
"""Validate a value at a location: return it (possibly changed), or INVALID with the problems
appended to the list."""

INVALID: Any = object()
_NO_TAG: Any = object()

_TYPE_ERRORS = {
    str: ("string_type", "Input should be a valid string"),
    bool: ("bool_type", "Input should be a valid boolean"),
    int: ("int_type", "Input should be a valid integer"),
}


def _problem(
    errors: list[ErrorDetails],
    kind: str,
    loc: Loc,
    msg: str,
    value: Any,
    ctx: dict[str, Any] | None = None,
) -> Any:
    errors.append({"type": kind, "loc": loc, "msg": msg, "input": value, "ctx": ctx or {}})
    return INVALID


def _raised(errors: list[ErrorDetails], loc: Loc, value: Any, err: ValueError) -> Any:
    if isinstance(err, CustomError):
        return _problem(errors, err.kind, loc, err.message, value, err.ctx)
    return _problem(errors, "value_error", loc, f"Value error, {err}", value, {"error": err})


def _exact(kind: type) -> Check:
    error, message = _TYPE_ERRORS[kind]

    def check(value: Any, loc: Loc, errors: list[ErrorDetails]) -> Any:
        # bool is an int to Python; to Lua and to the configuration it is not a number
        if type(value) is kind or (kind is str and isinstance(value, str)):
            return value
        return _problem(errors, error, loc, message, value)

    return check


def _anything(value: Any, loc: Loc, errors: list[ErrorDetails]) -> Any:
    return value


def _secret(value: Any, loc: Loc, errors: list[ErrorDetails]) -> Any:
    if isinstance(value, SecretStr):
        return value
    if isinstance(value, str):
        return SecretStr(value)
    return _problem(errors, "string_type", loc, "Input should be a valid string", value)


def _literal(options: tuple[Any, ...]) -> Check:
    expected = _listed([repr(option) for option in options], "or")

    def check(value: Any, loc: Loc, errors: list[ErrorDetails]) -> Any:
        if any(type(value) is type(option) and value == option for option in options):
            return value
        ctx = {"expected": expected}
        return _problem(errors, "literal_error", loc, f"Input should be {expected}", value, ctx)

    return check


def _listed(words: list[str], last: str) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} {last} {words[-1]}"


def _optional(inner: Check) -> Check:
    def check(value: Any, loc: Loc, errors: list[ErrorDetails]) -> Any:
        return None if value is None else inner(value, loc, errors)

    return check


def _list_of(item: Check) -> Check:
    def check(value: Any, loc: Loc, errors: list[ErrorDetails]) -> Any:
        if not isinstance(value, list):
            return _problem(errors, "list_type", loc, "Input should be a valid list", value)
        checked = [item(element, (*loc, index), errors) for index, element in enumerate(value)]
        return INVALID if any(element is INVALID for element in checked) else checked

    return check


def _dict_of(key: Check, item: Check) -> Check:
    def check(value: Any, loc: Loc, errors: list[ErrorDetails]) -> Any:
        if not isinstance(value, dict):
            return _problem(errors, "dict_type", loc, "Input should be a valid dictionary", value)
        checked = {}
        valid = True
        for name, element in value.items():
            checked_key = key(name, (*loc, name, "[key]"), errors)
            checked_item = item(element, (*loc, name), errors)
            if checked_key is INVALID or checked_item is INVALID:
                valid = False
            elif valid:
                checked[checked_key] = checked_item
        return checked if valid else INVALID

    return check


def _section(model: type[Section]) -> Check:
    def check(value: Any, loc: Loc, errors: list[ErrorDetails]) -> Any:
        return model._checked(value, loc, errors)

    return check


def _tagged_union(
    members: dict[str, Check], tag_of: Callable[[Any], Any], key: str | None
) -> Check:
    """A union whose member is named by a tag: the value's `key` entry, or `tag_of(value)`."""
    expected = ", ".join(repr(tag) for tag in members)
    described = repr(key) if key is not None else repr(tag_of.__name__) + "()"

    def check(value: Any, loc: Loc, errors: list[ErrorDetails]) -> Any:
        if key is not None and not isinstance(value, dict | Section):
            message = "Input should be a valid dictionary or object to extract fields from"
            return _problem(errors, "model_attributes_type", loc, message, value)
        tag = tag_of(value)
        if tag is _NO_TAG or (key is None and tag is None):
            message = f"Unable to extract tag using discriminator {described}"
            ctx = {"discriminator": described}
            return _problem(errors, "union_tag_not_found", loc, message, value, ctx)
        member = members.get(tag) if isinstance(tag, str) else None
        if member is None:
            message = (
                f"Input tag '{tag}' found using {described} does not match any of the "
                f"expected tags: {expected}"
            )
            ctx = {"discriminator": described, "tag": str(tag), "expected_tags": expected}
            return _problem(errors, "union_tag_invalid", loc, message, value, ctx)
        return member(value, (*loc, tag), errors)

    return check


def _with_metadata(inner: Check, metadata: list[Any]) -> Check:
    """`inner` wrapped in an `Annotated` annotation's checks, in pydantic's order: before-
    validators outside in, then the type (or a plain validator instead of it), then bounds
    and after-validators in the order written."""
    befores = [item.func for item in metadata if isinstance(item, BeforeValidator)]
    plains = [item.func for item in metadata if isinstance(item, PlainValidator)]
    afters: list[Callable[[Any], Any]] = []
    for item in metadata:
        if isinstance(item, AfterValidator):
            afters.append(item.func)
        elif isinstance(item, FieldInfo) and item.ge is not None:
            afters.append(_at_least(item.ge))
        elif isinstance(item, FieldInfo) and item.pattern is not None:
            afters.append(_matching(item.pattern))
    core: Check = inner
    if plains:
        core = _calling(plains[-1])

    def check(value: Any, loc: Loc, errors: list[ErrorDetails]) -> Any:
        given = value  # a problem shows the value as given (a secret: not its wrapper)
        try:
            for before in reversed(befores):
                value = before(value)
        except ValueError as err:
            return _raised(errors, loc, given, err)
        value = core(value, loc, errors)
        if value is INVALID:
            return INVALID
        try:
            for after in afters:
                value = after(value)
        except ValueError as err:
            return _raised(errors, loc, given, err)
        return value

    return check


def _calling(func: Callable[[Any], Any]) -> Check:
    def check(value: Any, loc: Loc, errors: list[ErrorDetails]) -> Any:
        try:
            return func(value)
        except ValueError as err:
            return _raised(errors, loc, value, err)

    return check


def _at_least(bound: int) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value is not None and value < bound:
            raise CustomError(
                "greater_than_equal",
                "Input should be greater than or equal to {ge}",
                {"ge": bound},
            )
        return value

    return check


def _matching(pattern: str) -> Callable[[Any], Any]:
    compiled = re.compile(pattern)

    def check(value: Any) -> Any:
        if value is not None and not compiled.search(value):
            raise CustomError(
                "string_pattern_mismatch",
                "String should match pattern '{pattern}'",
                {"pattern": pattern},
            )
        return value

    return check


def unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """An annotation's type and its `Annotated` metadata (nested ones flattened)."""
    metadata: list[Any] = []
    while typing.get_origin(annotation) is Annotated:
        args = typing.get_args(annotation)
        annotation = args[0]
        metadata[:0] = args[1:]
    return annotation, metadata


def is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (Union, types.UnionType)


def is_section(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Section)


def checker(annotation: Any) -> Check:
    """The check for values of `annotation`."""
    base, metadata = unwrap(annotation)
    if any(isinstance(item, PlainValidator) for item in metadata):
        return _with_metadata(_anything, metadata)
    discriminator = next(
        (item for item in metadata if isinstance(item, FieldInfo) and item.discriminator), None
    )
    function = next((item for item in metadata if isinstance(item, Discriminator)), None)
    if discriminator is not None:
        inner = _union_by_key(base, discriminator.discriminator or "")
    elif function is not None:
        inner = _union_by_function(base, function.func)
    else:
        inner = _plain_checker(base)
    return _with_metadata(inner, metadata) if metadata else inner


def _plain_checker(annotation: Any) -> Check:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if annotation in _TYPE_ERRORS:
        return _exact(annotation)
    if annotation is Any:
        return _anything
    if annotation is SecretStr:
        return _secret
    if is_section(annotation):
        return _section(annotation)
    if origin is Literal:
        return _literal(args)
    if origin is list:
        return _list_of(checker(args[0]))
    if origin is dict:
        return _dict_of(checker(args[0]), checker(args[1]))
    if is_union(annotation):
        members = [arg for arg in args if arg is not type(None)]
        if len(members) == 1 and len(args) == 2:
            return _optional(checker(members[0]))
        if type(None) in args:
            return _optional(checker(Union[tuple(members)]))  # noqa: UP007 — built at run time
    raise TypeError(f"the configuration model cannot check values of type {annotation!r}")


def member_tags(member: Any, key: str) -> tuple[str, ...]:
    """The tags naming `member` of a union told apart by its `key` entry: the values of the
    member's `Literal` annotation of `key`."""
    model, _ = unwrap(member)
    tags, _ = unwrap(model.model_fields[key].annotation)
    return typing.get_args(tags)


def _union_by_key(union: Any, key: str) -> Check:
    members: dict[str, Check] = {}
    for member in typing.get_args(union):
        for tag in member_tags(member, key):
            members[tag] = checker(member)

    def tag_of(value: Any) -> Any:
        if isinstance(value, dict):
            return value.get(key, _NO_TAG)
        return getattr(value, key, _NO_TAG)

    return _tagged_union(members, tag_of, key)


def _union_by_function(union: Any, func: Callable[[Any], str | None]) -> Check:
    members: dict[str, Check] = {}
    for member in typing.get_args(union):
        _, metadata = unwrap(member)
        tag = next(item.tag for item in metadata if isinstance(item, Tag))
        members[tag] = checker(member)
    return _tagged_union(members, func, None)


# ---- sections ------------------------------------------------------------------------------


class _SectionType(type):
    """Gives each section class its keys, resolved from its annotations on first use (a key
    may name a type defined later in the module)."""

    @property
    def model_fields(cls) -> dict[str, FieldInfo]:
        fields: dict[str, FieldInfo] | None = cls.__dict__.get("_fields")
        if fields is None:
            fields = _resolve_fields(cls)
            cls._fields = fields
        return fields


def _resolve_fields(cls: type) -> dict[str, FieldInfo]:
    fields: dict[str, FieldInfo] = {}
    for klass in reversed(cls.__mro__):
        if not issubclass(klass, Section) or klass is Section:
            continue
        for name, written in inspect.get_annotations(klass).items():
            if name.startswith("_"):
                continue
            declared = _declared_defaults(klass).get(name, REQUIRED)
            info = declared if isinstance(declared, FieldInfo) else FieldInfo(declared)
            info.annotation = _evaluated(written, klass)
            fields[name] = info
    return fields


def _evaluated(annotation: Any, klass: type) -> Any:
    """An annotation written as text (`from __future__ import annotations`), evaluated in its
    class's module. Plain `eval`, not typing.get_type_hints: the text's names are defined by
    the time a section is first used, and get_type_hints re-walks every evaluated annotation
    (several times slower for Annotated types)."""
    if not isinstance(annotation, str):
        return annotation
    return eval(annotation, vars(sys.modules[klass.__module__]))


def _declared_defaults(klass: type) -> dict[str, Any]:
    defaults: dict[str, Any] = klass.__dict__.get("_declared", {})
    return defaults


class Section(metaclass=_SectionType):
    """A table of the configuration: known keys only, values of exactly their types, frozen."""

    __slots__ = ("_fields_set",)
    _fields_set: frozenset[str]
    _fields: ClassVar[dict[str, FieldInfo] | None]
    _declared: ClassVar[dict[str, Any]]
    _field_checks: ClassVar[dict[str, list[Callable[..., Any]]]]
    _section_checks: ClassVar[list[Callable[..., Any]]]
    _checkers: ClassVar[dict[str, Check] | None]

    def __init_subclass__(cls) -> None:
        # The defaults leave the class (an instance holds every key), so that a key's default
        # never stands in for a value the instance lacks.
        cls._declared = {
            name: cls.__dict__[name]
            for name in inspect.get_annotations(cls)
            if name in cls.__dict__
        }
        for name in cls._declared:
            delattr(cls, name)
        cls._fields = None
        cls._checkers = None
        cls._field_checks = {}
        cls._section_checks = []
        for klass in reversed(cls.__mro__):
            for attribute in klass.__dict__.values():
                function = getattr(attribute, "__func__", attribute)
                if hasattr(function, "_checks_field"):
                    cls._field_checks.setdefault(function._checks_field, []).append(
                        attribute.__get__(None, cls)
                    )
                if getattr(function, "_checks_section", False):
                    cls._section_checks.append(function)

    def __init__(self, **values: Any) -> None:
        errors: list[ErrorDetails] = []
        checked = type(self)._checked(values, (), errors)
        if errors:
            raise ValidationError(type(self).__name__, errors)
        object.__setattr__(self, "__dict__", checked.__dict__)
        object.__setattr__(self, "_fields_set", checked._fields_set)

    @classmethod
    def model_validate(cls: type[S], data: Any) -> S:
        """The section `data` describes; raises ValidationError with every problem."""
        errors: list[ErrorDetails] = []
        checked = cls._checked(data, (), errors)
        if errors:
            raise ValidationError(cls.__name__, errors)
        return checked

    @classmethod
    def _checked(cls: type[S], data: Any, loc: Loc, errors: list[ErrorDetails]) -> S:
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            message = f"Input should be a valid dictionary or instance of {cls.__name__}"
            ctx = {"class_name": cls.__name__}
            return _problem(errors, "model_type", loc, message, data, ctx)  # type: ignore[no-any-return]
        checkers = cls._checkers or cls._build_checkers()
        found = len(errors)
        values: dict[str, Any] = {}
        for name, field in cls.model_fields.items():
            if name in data:
                value = checkers[name](data[name], (*loc, name), errors)
                if value is not INVALID:
                    values[name] = cls._checked_field(name, value, values, (*loc, name), errors)
            elif field.is_required():
                _problem(errors, "missing", (*loc, name), "Field required", data)
            else:
                values[name] = _fresh(field.default)
        for name, value in data.items():
            if not isinstance(name, str):  # a Lua table's [1] among its names
                _problem(errors, "invalid_key", (*loc, name), "Keys should be strings", name)
            elif name not in cls.model_fields:
                message = "Extra inputs are not permitted"
                _problem(errors, "extra_forbidden", (*loc, name), message, value)
        if len(errors) > found:
            return INVALID  # type: ignore[no-any-return]
        section = object.__new__(cls)
        object.__setattr__(section, "__dict__", values)
        object.__setattr__(section, "_fields_set", frozenset(name for name in data))
        for check in cls._section_checks:
            try:
                section = check(section)
            except ValueError as err:
                return _raised(errors, loc, data, err)  # type: ignore[no-any-return]
        return section

    @classmethod
    def _checked_field(
        cls, name: str, value: Any, before: dict[str, Any], loc: Loc, errors: list[ErrorDetails]
    ) -> Any:
        for check in cls._field_checks.get(name, ()):
            try:
                value = check(value, ValidationInfo(before))
            except ValueError as err:
                return _raised(errors, loc, value, err)
        return value

    @classmethod
    def _build_checkers(cls) -> dict[str, Check]:
        cls._checkers = {
            # a key's own Field narrows its type as if written inside Annotated
            name: checker(
                Annotated[field.annotation, field] if field.constrains() else field.annotation
            )
            for name, field in cls.model_fields.items()
        }
        return cls._checkers

    @property
    def model_fields_set(self) -> frozenset[str]:
        """The keys the table gave (the others took their defaults)."""
        fields_set: frozenset[str] = self._fields_set
        return fields_set

    def model_dump(self, *, exclude_unset: bool = False) -> dict[str, Any]:
        """The section as plain data (sections as dicts; secrets stay SecretStr)."""
        names = self._fields_set if exclude_unset else type(self).model_fields
        return {
            name: _dumped(value, exclude_unset)
            for name, value in self.__dict__.items()
            if name in names
        }

    def __reduce__(self) -> tuple[Any, ...]:
        # copy, deepcopy and pickle rebuild a section as validation built it (not by
        # setting attributes, which a frozen section refuses)
        return (_rebuilt, (type(self), self.__dict__, self._fields_set))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be set")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be deleted")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self.__dict__ == other.__dict__

    def __hash__(self) -> int:
        return hash((type(self), tuple(self.__dict__.items())))

    def __repr__(self) -> str:
        keys = ", ".join(f"{name}={value!r}" for name, value in self.__dict__.items())
        return f"{type(self).__name__}({keys})"


S = TypeVar("S", bound=Section)


def prepare(model: type[Section]) -> None:
    """Build the checks of `model` and of every section it may hold now, rather than when a
    table first needs them (kodos.config.load does it while the Lua runs)."""
    pending = [model]
    while pending:
        section = pending.pop()
        if section._checkers is None:
            section._build_checkers()
            pending += [
                held for f in section.model_fields.values() for held in _sections_in(f.annotation)
            ]


def _sections_in(annotation: Any) -> list[type[Section]]:
    base, _ = unwrap(annotation)
    if is_section(base):
        return [base]
    return [held for arg in typing.get_args(base) for held in _sections_in(arg)]


def _rebuilt(cls: type[S], values: dict[str, Any], fields_set: frozenset[str]) -> S:
    section = object.__new__(cls)
    object.__setattr__(section, "__dict__", values)
    object.__setattr__(section, "_fields_set", fields_set)
    return section


def _fresh(default: Any) -> Any:
    # a list or dict default is each section's own, as if the table had given it
    if isinstance(default, list | dict):
        return type(default)(default)
    return default


def _dumped(value: Any, exclude_unset: bool) -> Any:
    if isinstance(value, Section):
        return value.model_dump(exclude_unset=exclude_unset)
    if isinstance(value, dict):
        return {key: _dumped(item, exclude_unset) for key, item in value.items()}
    if isinstance(value, list):
        return [_dumped(item, exclude_unset) for item in value]
    return value
