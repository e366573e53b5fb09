"""Reading and writing one model field: tolerant on the way in, verbatim on the way out.

A value of the wrong type reads as absent (None), like Go's zero value when Seldon's
operator decodes it, and is kept verbatim in the object's `extra`, so that reading any
manifest and writing it back loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Self


class _Wrong:
    """The reading of a value whose type does not fit its field."""


WRONG = _Wrong()


def as_map(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def as_int(value: Any) -> int:
    return value if is_int(value) else 0


def opt_str(value: Any) -> str | None:
    """A Go `*string`: None when absent (or not a string)."""
    return value if isinstance(value, str) else None


def same(value: Any) -> Any:
    """A value written as it is (scalars, plain mappings and lists)."""
    return value


@dataclass(frozen=True)
class Codec:
    """How one field's JSON value becomes a Python value and back."""

    read: Callable[[Any], Any]  # the typed value, or WRONG
    write: Callable[[Any], Any] = same


def _when(test: Callable[[Any], bool]) -> Codec:
    return Codec(lambda value: value if test(value) else WRONG)


STR = _when(lambda v: isinstance(v, str))
INT = _when(is_int)
BOOL = _when(lambda v: isinstance(v, bool))
INT_OR_STR = _when(lambda v: is_int(v) or isinstance(v, str))
MAP = _when(lambda v: isinstance(v, dict))  # kept as it is (a PodSpec, a status, ...)
LIST = _when(lambda v: isinstance(v, list))
STR_MAP = Codec(
    lambda v: (
        dict(v)
        if isinstance(v, dict) and all(isinstance(x, str) for x in (*v, *v.values()))
        else WRONG
    ),
    dict,
)


def model(cls: type[Model]) -> Codec:
    """A nested object."""
    return Codec(lambda v: cls.from_dict(v) if isinstance(v, dict) else WRONG, _write)


def models(cls: type[Model] | Callable[[], type[Model]]) -> Codec:
    """A list of nested objects; a list holding anything else is kept whole, verbatim.
    `cls` may be a function returning the class, for a class that holds itself."""

    def read(value: Any) -> Any:
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            return WRONG
        item: type[Model] = cls if isinstance(cls, type) else cls()
        return tuple(item.from_dict(v) for v in value)

    return Codec(read, lambda items: [_write(i) for i in items])


def _write(item: Any) -> Any:
    assert isinstance(item, Model)
    return item.to_dict()


_UNKNOWN = Codec(lambda _value: WRONG)


def key(json_key: str, codec: Codec) -> Any:
    """A model field: absent (None) unless set; `json_key` is its name in the manifest."""
    return field(default=None, metadata={"key": json_key, "codec": codec})


@dataclass(frozen=True, kw_only=True)
class Model:
    """A Seldon/Kubernetes object: typed fields in the order compile writes them, plus
    `extra` (unknown keys and values of the wrong type, verbatim) and `order` (the keys'
    order as read, so a manifest read and written back keeps its order too)."""

    extra: Mapping[Any, Any] = field(default_factory=dict)
    order: tuple[Any, ...] = ()
    _keys: ClassVar[dict[type, dict[str, tuple[str, Codec]]]] = {}
    # (key, attribute, writer or None for `same`), per class: compile writes thousands.
    _writers: ClassVar[dict[type, tuple[tuple[str, str, Callable[[Any], Any] | None], ...]]] = {}

    @classmethod
    def _fields(cls) -> dict[str, tuple[str, Codec]]:
        """JSON key -> (attribute, codec), in declaration order."""
        found = Model._keys.get(cls)
        if found is None:
            found = {
                f.metadata["key"]: (f.name, f.metadata["codec"])
                for f in fields(cls)
                if "key" in f.metadata
            }
            Model._keys[cls] = found
        return found

    @classmethod
    def from_dict(cls, data: Mapping[Any, Any]) -> Self:
        return cls.read_with(data, {})

    @classmethod
    def read_with(cls, data: Mapping[Any, Any], given: Mapping[str, Any]) -> Self:
        """Read `data`, taking the values of the keys in `given` as already read."""
        known = cls._fields()
        values: dict[str, Any] = {}
        extra: dict[Any, Any] = {}
        for k, value in data.items():
            attr, codec = known.get(k, ("", _UNKNOWN))
            if k in given:
                values[attr] = given[k]
                continue
            typed = codec.read(value) if value is not None else WRONG
            if typed is WRONG:
                extra[k] = value
            else:
                values[attr] = typed
        return cls(**values, extra=extra, order=tuple(data))

    def has(self, json_key: str) -> bool:
        """Whether the manifest holds `json_key` (with any value, even a wrong one)."""
        field = self._fields().get(json_key)
        return json_key in self.extra or (field is not None and getattr(self, field[0]) is not None)

    def to_dict(self) -> dict[Any, Any]:
        return self.write_with({})

    @classmethod
    def _writing(cls) -> tuple[tuple[str, str, Callable[[Any], Any] | None], ...]:
        found = Model._writers.get(cls)
        if found is None:
            found = tuple(
                (k, attr, None if codec.write is same else codec.write)
                for k, (attr, codec) in cls._fields().items()
            )
            Model._writers[cls] = found
        return found

    def write_with(self, given: Mapping[str, Any]) -> dict[Any, Any]:
        """The plain form, taking the keys in `given` as already written."""
        out: dict[Any, Any] = {}
        values = self.__dict__
        for k, attr, write in self._writing():
            if k in given:
                out[k] = given[k]
            elif (value := values[attr]) is not None:
                out[k] = value if write is None else write(value)
        if self.extra:
            out.update(self.extra)
        if not self.order:
            return out
        first = {k: out[k] for k in self.order if k in out}
        return first | {k: v for k, v in out.items() if k not in first}
