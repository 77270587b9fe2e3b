"""``NamedTuple``, as ``typing.NamedTuple`` is written and type-checked, built at run time by
``collections.namedtuple``. ``typing.NamedTuple`` turns each field's annotation (a string,
under ``from __future__ import annotations``) into a ``ForwardRef`` and compiles it, and
imports ``typing`` first: the hook's 23 records cost its start-up ~10 ms that way, ~2 ms
this way. Type checkers see ``typing.NamedTuple`` itself."""

from __future__ import annotations

import collections

TYPE_CHECKING = False  # typing's own flag, without importing typing
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
else:
    #: Class-body names that are not attributes of the record (as in ``typing``).
    _SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})

    class _Record(type):
        """Makes each ``class X(NamedTuple)`` body a ``collections.namedtuple``: the annotated
        names are its fields (in order, a value after one its default), everything else in
        the body (methods, properties, the docstring) is set on it."""

        def __new__(mcs, name: str, bases: tuple[type, ...], namespace: dict[str, object]) -> type:
            if namespace["__module__"] == __name__:  # NamedTuple itself
                return super().__new__(mcs, name, bases, namespace)
            fields = tuple(namespace.get("__annotations__", ()))
            record: type = collections.namedtuple(
                name, fields, defaults=[namespace[f] for f in fields if f in namespace],
                module=str(namespace["__module__"]))
            for key, value in namespace.items():
                if key not in _SPECIAL and key not in fields:
                    setattr(record, key, value)
            return record

    class NamedTuple(metaclass=_Record):
        """The base of every record class (see the module's docstring)."""
