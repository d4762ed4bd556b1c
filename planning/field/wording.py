"""The words of a field border, the same on the views, in the practice reference, in the report
and in the field-limits text: one function for each form.

* `border_label_forms`: the label beside a border line, longest first, for views of any width:
  ``"superior border: middle of the T7-8 disc"``, ``"sup. border: T6"``, ``"sup.: T6"``
  (``"ref. "`` before each on the practice reference's borders).
* `border_sentence`: the full statement, after the border's name, in the report's field table
  and the field-limits text: ``"z 112.4 mm, middle of the T7-8 disc, in the T7-8 disc (T6)"``.
"""

from __future__ import annotations

from typing import Literal

Side = Literal["superior", "inferior"]


def border_label_forms(
    side: Side, description: str, level: str, prefix: str = ""
) -> tuple[str, str, str]:
    """The label of a border line and two shorter forms of it.

    Parameters
    ----------
    side : "superior" or "inferior".
    description : where the border lies in words ("middle of the T7-8 disc"); "" for none.
    level : the vertebra the border reaches ("T6").
    prefix : before each form ("ref. " on the practice reference's borders).
    """
    short = f"{side[:3]}."
    return (
        f"{prefix}{side} border: {description or level}",
        f"{prefix}{short} border: {level}",
        f"{prefix}{short}: {level}",
    )


def border_sentence(z_mm: float, description: str, lies_in: str, level: str = "") -> str:
    """Where a border is, in full: its height (patient z, mm), its description, what it lies in
    and (when given) the vertebra it reaches."""
    reach = f" ({level})" if level else ""
    return f"z {z_mm:.1f} mm, {description}, in {lies_in}{reach}"
