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
from collections.abc import Callable
from typing import Any

from .model import Entity
from .registry import Registry


@dataclasses.dataclass(frozen=True)
class Late:
    """A stored value kept as its JSON text, decoded each time it is asked for: for a value the main process needs
    once, late in a run. It names no registry entry (a value that does is decoded at once, to share the entries)."""

    cls: Any
    text: str

    def decoded(self) -> Any:
        return decode(self.cls, json.loads(self.text))


def _default(value: Any) -> Any:
    """What json's own encoder does not know: records (as lists of their fields), entries ({"@": id}), sets."""
    if isinstance(value, Late):  # stored again as it was
        return json.loads(value.text)
    if isinstance(value, Entity):
        if value.local:  # a letter's own entry: in no registry to look it up in again, so stored whole
            return {"@": value.id, "e": [value.kind, value.names, value.idnos, value.birth, value.death, value.note,
                                          value.path, value.line, value.extra]}
        return {"@": value.id}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [getattr(value, f.name) for f in _fields(type(value))]
    if isinstance(value, (frozenset, set)):
        return sorted(value)
    raise TypeError(f"cannot store a {type(value).__name__}")


def dumps(value: Any) -> str:
    """A record as JSON text (json's C encoder walks the containers; only records come back to Python)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


@functools.cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return tuple(f for f in dataclasses.fields(cls) if f.init)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    import trotsky_tei.model  # noqa: F401  (the names the hints refer to)

    return typing.get_type_hints(cls)


def decode(cls: Any, data: Any, registry: Registry | None = None) -> Any:
    """The value of type `cls` that `encode` gave `data` for."""
    return _decoder(cls)(data, registry)


Decoder = Callable[[Any, "Registry | None"], Any]


def _plain(data: Any, registry: Registry | None) -> Any:
    return data


# every string read back during a run, once: the records of a run repeat the same names, places, roles, licences
# and messages letter after letter (five-sixths of their text), held once each. The run clears it (`forget_strings`)
_STRINGS: dict[str, str] = {}


def _str(data: Any, registry: Registry | None) -> Any:
    return _STRINGS.setdefault(data, data)


def forget_strings() -> None:
    """Empty the table of strings read back (the records keep theirs): at the start and end of a run."""
    _STRINGS.clear()


def _entity(data: Any, registry: Registry | None) -> Entity | None:
    if data is None:
        return None
    whole = data.get("e")
    if whole is not None:
        kind, names, idnos, birth, death, note, path, line, extra = whole
        return Entity(data["@"], kind, tuple(names), tuple(tuple(i) for i in idnos), birth, death, note, path, line,
                      tuple(tuple(x) for x in extra), local=True)
    # the entry read back, not looked up: no letter's results depend on it (`Registry.get` would note it)
    return registry.entries.get(data["@"]) if registry is not None else None


@functools.cache
def _decoder(cls: Any) -> Decoder:
    """A function that decodes values of type `cls` (made once per type: the type hints are read once)."""
    origin = typing.get_origin(cls)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(cls) if a is not type(None)]
        if len(options) == 1:
            inner = _decoder(options[0])
            if inner is _plain:
                return _plain
            return lambda data, registry: None if data is None else inner(data, registry)
        return _plain  # e.g. str | int: JSON keeps the kind
    if cls is Entity:
        return _entity
    if cls is str:
        return _str
    if origin is tuple:
        args = typing.get_args(cls)
        if len(args) == 2 and args[1] is Ellipsis:
            if args[0] in (int, float, bool):
                return lambda data, registry: tuple(data)
            item = _decoder(args[0])
            if item is _plain:
                return lambda data, registry: tuple(data)
            return lambda data, registry: tuple([item(v, registry) for v in data])
        items = [_decoder(a) for a in args]
        if all(d is _plain for d in items):
            return lambda data, registry: tuple(data)
        return lambda data, registry: tuple([d(v, registry) for d, v in zip(items, data, strict=True)])
    if origin in (list, frozenset, set):
        (arg,) = typing.get_args(cls)
        item = _decoder(arg)
        return lambda data, registry: origin(item(v, registry) for v in data)
    if origin is dict:
        _k, arg = typing.get_args(cls)
        value = _decoder(arg)
        return lambda data, registry: {k: value(v, registry) for k, v in data.items()}
    if isinstance(cls, type) and dataclasses.is_dataclass(cls):
        hints = _hints(cls)
        fields = [_decoder(hints[f.name]) for f in _fields(cls)]
        special = [(i, d) for i, d in enumerate(fields) if d is not _plain]  # plain values are used as they are
        make, width = cls, len(fields)

        def record(data: Any, registry: Registry | None) -> Any:
            if data is None:
                return None
            if len(data) != width:
                raise ValueError(f"a stored {make.__name__} has {len(data)} fields, not {width}")
            args = list(data)
            for i, d in special:
                args[i] = d(args[i], registry)
            return make(*args)

        return record
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return lambda data, registry: None if data is None else cls(data)
    return _plain
