"""Typed access to a case file's parsed JSON that fails with the file name and field path.

``FieldReader("case.spineplan.json").number(value, "levels[3].superior_z_mm")`` returns the
value as a float or raises :class:`~planning.errors.CaseFileError` with a message such as
``case.spineplan.json: levels[3].superior_z_mm: expected a number, got "abc"``.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NoReturn

from planning.errors import CaseFileError, PlanningError


def describe_value(value: Any) -> str:
    """How a JSON value is named in a message: ``"abc"``, ``true``, ``null``, ``a list``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return "a list"
    return json.dumps(value) if isinstance(value, str) else repr(value)


class FieldReader:
    """Typed access to parsed JSON that fails with the file name and field path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, problem: str) -> NoReturn:
        where = f"{path}: " if path else ""
        raise CaseFileError(f"{self.source}: {where}{problem}")

    def obj(
        self, value: Any, path: str, required: Sequence[str] = (), optional: Sequence[str] = ()
    ) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            self.fail(path, f"expected an object, got {describe_value(value)}")
        for key in required:
            if key not in value:
                self.fail(f"{path}.{key}" if path else key, "required field is missing")
        known = set(required) | set(optional)
        for key in value:
            if key in known or str(key).startswith(("_", "x_")):
                continue
            close = difflib.get_close_matches(str(key), sorted(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            self.fail(f"{path}.{key}" if path else str(key), f"unknown field{hint}")
        return value

    def number(self, value: Any, path: str, *, positive: bool = False) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(path, f"expected a number, got {describe_value(value)}")
        if not math.isfinite(value):
            self.fail(path, f"expected a finite number, got {value!r}")
        if positive and value <= 0:
            self.fail(path, f"expected a number greater than 0, got {value!r}")
        return float(value)

    def optional_number(self, value: Any, path: str, *, positive: bool = False) -> float | None:
        return None if value is None else self.number(value, path, positive=positive)

    def integer(self, value: Any, path: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                return int(value)
            self.fail(path, f"expected a whole number, got {describe_value(value)}")
        return int(value)

    def string(self, value: Any, path: str, *, non_empty: bool = False) -> str:
        if not isinstance(value, str):
            self.fail(path, f"expected a string, got {describe_value(value)}")
        if non_empty and not value.strip():
            self.fail(path, "must not be empty")
        return value

    def boolean(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, f"expected true or false, got {describe_value(value)}")
        return value

    def vector3(self, value: Any, path: str, *, positive: bool = False) -> tuple[float, ...]:
        if not isinstance(value, list) or len(value) != 3:
            self.fail(
                path, f"expected a list of 3 numbers [x, y, z] in mm, got {describe_value(value)}"
            )
        return tuple(self.number(v, f"{path}[{i}]", positive=positive) for i, v in enumerate(value))

    def choice(self, value: Any, path: str, parse: Callable[[Any], Any]) -> Any:
        try:
            return parse(value)
        except PlanningError as exc:
            self.fail(path, str(exc))

    def array(self, value: Any, path: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(path, f"expected a list, got {describe_value(value)}")
        return value
