"""``typing_lite.NamedTuple`` builds the records ``typing.NamedTuple`` would."""

from __future__ import annotations

import pickle
import typing

import pytest

from hostlint import typing_lite


class Point(typing_lite.NamedTuple):
    """A point."""

    x: int
    label: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def tagged(self) -> bool:
        return bool(self.tags)


class TypedPoint(typing.NamedTuple):
    x: int
    label: str | None = None
    tags: tuple[str, ...] = ()


def test_a_record_behaves_as_typing_builds_it() -> None:
    for attribute in ("_fields", "_field_defaults", "__match_args__"):
        assert getattr(Point, attribute) == getattr(TypedPoint, attribute), attribute
    point = Point(1, tags=("a",))
    assert tuple(point) == tuple(TypedPoint(1, tags=("a",))) == (1, None, ("a",))
    assert repr(point) == "Point(x=1, label=None, tags=('a',))"
    assert point.tagged and point._replace(x=3) == Point(3, None, ("a",))
    assert Point.__doc__ == "A point." and Point.__module__ == __name__
    assert isinstance(point, tuple) and not hasattr(point, "__dict__")
    assert pickle.loads(pickle.dumps(point)) == point


def test_a_field_without_a_default_after_one_with_a_default_is_refused() -> None:
    with pytest.raises(TypeError, match="none without a default after a default"):
        class Bad(typing_lite.NamedTuple):
            a: int = 1
            b: int  # type: ignore[misc]
