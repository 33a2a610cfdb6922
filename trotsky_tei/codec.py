"""Records to JSON and back (the pass's store and caches): frozen dataclasses by their type hints, never pickle.

A registry entry inside a record is stored as its id and looked up again when the record is read, so a stored
record never carries a stale copy of the registry, and records read back share the registry's entries.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import json
import types
import typing
from typing import Any, TypeVar

from .model import Entity
from .registry import Registry

T = TypeVar("T")


def encode(value: Any) -> Any:
    """A JSON-ready form of a record: dataclasses as lists of their fields, entries as {"@": id}."""
    if isinstance(value, Entity):
        return {"@": value.id}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [encode(getattr(value, f.name)) for f in _fields(type(value))]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (tuple, list, frozenset, set)):
        items = sorted(value) if isinstance(value, (frozenset, set)) else value
        return [encode(v) for v in items]
    if isinstance(value, dict):
        return {str(k): encode(v) for k, v in value.items()}
    return value


def _default(value: Any) -> Any:
    """What json's own encoder does not know: records (as `encode` gives them), entries, sets."""
    if isinstance(value, Entity):
        return {"@": value.id}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [getattr(value, f.name) for f in _fields(type(value))]
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    raise TypeError(f"cannot store a {type(value).__name__}")


def dumps(value: Any) -> str:
    """`encode(value)` as JSON text (json's C encoder walks the containers; only records come back to Python)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


def loads(cls: type[T], text: str | bytes, registry: Registry | None = None) -> T:
    value: T = decode(cls, json.loads(text), registry)
    return value


@functools.cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.init)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    import trotsky_tei.model  # noqa: F401  (the names the hints refer to)

    return typing.get_type_hints(cls)


def decode(cls: Any, data: Any, registry: Registry | None = None) -> Any:
    """The value of type `cls` that `encode` gave `data` for."""
    if data is None:
        return None
    origin = typing.get_origin(cls)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(cls) if a is not type(None)]
        if len(options) == 1:
            return decode(options[0], data, registry)
        for option in options:  # e.g. str | int: the first whose kind the value has
            if isinstance(data, option if isinstance(option, type) else object):
                return data
        return data
    if cls is Entity:
        return registry.get(data["@"]) if registry is not None else None
    if origin is tuple:
        args = typing.get_args(cls)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(decode(args[0], v, registry) for v in data)
        return tuple(decode(a, v, registry) for a, v in zip(args, data, strict=True))
    if origin in (list, frozenset, set):
        (arg,) = typing.get_args(cls)
        return origin(decode(arg, v, registry) for v in data)
    if origin is dict:
        _k, arg = typing.get_args(cls)
        return {k: decode(arg, v, registry) for k, v in data.items()}
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        hints = _hints(cls)
        return cls(*(decode(hints[f.name], v, registry) for f, v in zip(_fields(cls), data, strict=True)))
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return cls(data)
    return data
