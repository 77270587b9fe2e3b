"""The names from ``typing`` the hook path uses — ``TYPE_CHECKING``, ``NamedTuple``,
``Protocol``, ``cast`` — as type checkers see them (``typing``'s own) and, at run time,
without importing ``typing``. Every commit pays the hook's start-up: importing ``typing``
costs it ~4 ms, and ``typing.NamedTuple`` another ~3 ms for its 23 records (it turns each
field's annotation, a string under ``from __future__ import annotations``, into a compiled
``ForwardRef``). Names used only in annotations (``Any``, ``BinaryIO``...) are imported
from ``typing`` under ``if TYPE_CHECKING:``."""

from __future__ import annotations

import collections

TYPE_CHECKING = False  # typing's own flag, without importing typing; type checkers take it as True
if TYPE_CHECKING:
    from typing import NamedTuple as NamedTuple
    from typing import Protocol as Protocol
    from typing import cast as cast
else:
    #: Class-body names that are not attributes of the record (as in ``typing``).
    _SPECIAL = frozenset({"__module__", "__name__", "__annotations__"})

    class _Record(type):
        """Makes each ``class X(NamedTuple)`` body a ``collections.namedtuple``: the annotated
        names are its fields (in order, a value after one its default), everything else in
        the body (methods, properties, the docstring) is set on it."""

        def __new__(mcs, name, bases, namespace):
            if namespace["__module__"] == __name__:  # NamedTuple itself
                return super().__new__(mcs, name, bases, namespace)
            fields = tuple(namespace.get("__annotations__", ()))
            defaults = [namespace[f] for f in fields if f in namespace]
            if not fields or any(f not in namespace for f in fields[len(fields) - len(defaults):]):
                raise TypeError(f"{name}: a record needs annotated fields (under `from __future__ "
                                "import annotations`), none without a default after a default")
            record = collections.namedtuple(name, fields, defaults=defaults,
                                            module=namespace["__module__"])
            for key, value in namespace.items():
                if key not in _SPECIAL and key not in fields:
                    setattr(record, key, value)
            return record

    class NamedTuple(metaclass=_Record):
        """The base of every record class (see the module's docstring)."""

    class Protocol:
        """At run time a protocol is documentation: no class derives from it, and nothing
        asks ``isinstance`` of one."""

    def cast(kind, value):
        return value
