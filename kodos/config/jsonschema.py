"""The JSON Schema (draft 2020-12) of a section, for editors and CI (`kodos schema`).

Built from the same annotations that `kodos.config.sections` checks values by, with each key's
description and default; a check the schema cannot express (a name's characters, a time zone
that exists) is left to `kodos validate`.
"""

from __future__ import annotations

import inspect
import typing
from typing import Any, Literal

from kodos.config.fields import Discriminator, FieldInfo, PlainValidator, SecretStr, WithJsonSchema
from kodos.config.sections import Section, is_section, is_union, member_tags, unwrap

DRAFT = "https://json-schema.org/draft/2020-12/schema"
_SCALARS = {str: "string", bool: "boolean", int: "integer"}


def json_schema(model: type[Section], title: str) -> dict[str, Any]:
    """`model`'s schema, the sections it holds under `$defs`."""
    definitions: dict[str, Any] = {}
    schema = _definition(model, definitions)
    if definitions:
        schema["$defs"] = definitions
    return {**schema, "$schema": DRAFT, "title": title}


def _definition(model: type[Section], definitions: dict[str, Any]) -> dict[str, Any]:
    properties = {}
    required = []
    for name, field in model.model_fields.items():
        properties[name] = _property(name, field, definitions)
        if field.is_required():
            required.append(name)
    schema: dict[str, Any] = {
        "additionalProperties": False,
        "properties": properties,
        "title": model.__name__,
        "type": "object",
    }
    if required:
        schema["required"] = required
    if model.__doc__:
        schema["description"] = inspect.cleandoc(model.__doc__)
    return schema


def _property(name: str, field: FieldInfo, definitions: dict[str, Any]) -> dict[str, Any]:
    schema = _schema(field.annotation, definitions)
    if not _refers(schema):  # a referred section has its own title
        schema["title"] = name.replace("_", " ").title()
    if not field.is_required():
        default = field.default
        schema["default"] = default.model_dump() if isinstance(default, Section) else default
    if field.description:
        schema["description"] = field.description
    return schema


def _refers(schema: dict[str, Any]) -> bool:
    return "$ref" in schema or any("$ref" in member for member in schema.get("anyOf", ()))


def _schema(annotation: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    base, metadata = unwrap(annotation)
    for item in metadata:
        if isinstance(item, WithJsonSchema):
            return dict(item.schema)
    if any(isinstance(item, PlainValidator) for item in metadata):
        return {}
    schema = _type_schema(base, metadata, definitions)
    for item in metadata:
        if isinstance(item, FieldInfo) and item.ge is not None:
            schema["minimum"] = item.ge
    return schema


def _type_schema(base: Any, metadata: list[Any], definitions: dict[str, Any]) -> dict[str, Any]:
    origin = typing.get_origin(base)
    args = typing.get_args(base)
    if base in _SCALARS:
        return {"type": _SCALARS[base]}
    if base is SecretStr:
        return {"format": "password", "type": "string", "writeOnly": True}
    if is_section(base):
        if base.__name__ not in definitions:
            definitions[base.__name__] = {}  # a section holding itself refers to itself
            definitions[base.__name__] = _definition(base, definitions)
        return {"$ref": f"#/$defs/{base.__name__}"}
    if origin is Literal:
        kind = {"type": _SCALARS[type(args[0])]}
        return {"const": args[0], **kind} if len(args) == 1 else {"enum": list(args), **kind}
    if origin is list:
        return {"items": _schema(args[0], definitions), "type": "array"}
    if origin is dict:
        schema = {"additionalProperties": _schema(args[1], definitions), "type": "object"}
        keys = _schema(args[0], definitions)
        if "enum" in keys:  # keys of a few names only
            schema["propertyNames"] = {"enum": keys["enum"]}
        return schema
    if is_union(base):
        return _union_schema(base, metadata, definitions)
    return {}


def _union_schema(union: Any, metadata: list[Any], definitions: dict[str, Any]) -> dict[str, Any]:
    members = [arg for arg in typing.get_args(union) if arg is not type(None)]
    if len(members) < len(typing.get_args(union)):
        inner = members[0] if len(members) == 1 else typing.Union[tuple(members)]  # noqa: UP007
        return {"anyOf": [_schema(inner, definitions), {"type": "null"}]}
    one_of = [_schema(member, definitions) for member in members]
    keys = [item.discriminator for item in metadata if isinstance(item, FieldInfo)]
    if keys and keys[0] and not any(isinstance(item, Discriminator) for item in metadata):
        mapping = {}
        for member, reference in zip(members, one_of, strict=True):
            mapping.update({tag: reference["$ref"] for tag in member_tags(member, keys[0])})
        return {"discriminator": {"mapping": mapping, "propertyName": keys[0]}, "oneOf": one_of}
    return {"oneOf": one_of}
