"""Fast reads of plain header values straight from pydicom's raw (unconverted) elements.

Scanning thousands of headers is dominated by pydicom's value conversion (``DSfloat``,
``IS``, ``MultiValue``), not by file reading. The numbers and ASCII strings discovery needs
(UIDs, positions, spacings, matrix size) are decoded here from the raw bytes; anything else
(person names, text in other character sets, sequences, big-endian data) goes through
pydicom's normal attribute access.
"""

from __future__ import annotations

import functools
import struct
from typing import Any

from pydicom.charset import convert_encodings, decode_bytes
from pydicom.datadict import tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from imaging.raw_header import RawHeader

#: A pydicom data set, or the raw values the fast header reader kept.
HeaderSource = Dataset | RawHeader

_TAGS: dict[str, int] = {}
#: Characters that end an escape-sequence run in PN/LO/SH values (backslash, caret, =).
_TEXT_DELIMITERS = {0x5C, 0x5E, 0x3D}


def _tag(keyword: str) -> int:
    tag = _TAGS.get(keyword)
    if tag is None:
        found = tag_for_keyword(keyword)
        if found is None:
            raise KeyError(f"unknown DICOM keyword {keyword!r}")
        tag = _TAGS[keyword] = found
    return tag


def _raw(dataset: HeaderSource, keyword: str) -> Any:
    """The element's value as stored: raw bytes if not yet converted, else the converted value."""
    tag = _tag(keyword)
    if isinstance(dataset, RawHeader):
        return dataset.value(tag)
    if tag not in dataset:
        return None
    return dataset.get_item(tag).value


def _little_endian(dataset: HeaderSource) -> bool:
    encoding = dataset.original_encoding
    return encoding[1] is not False if encoding else True


def ascii_text(dataset: HeaderSource, keyword: str) -> str:
    """An ASCII-only value (UI, CS, DA, TM, AS, IS, DS) as stripped text; "" when absent."""
    value = _raw(dataset, keyword)
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("ascii", "replace").strip("\x00 ")
    if isinstance(value, list | tuple | MultiValue):
        return "\\".join(str(v) for v in value)
    return str(value).strip()


def text(dataset: HeaderSource, keyword: str) -> str:
    """A value in the data set's character set (PN, LO, SH...); "" when absent.

    Decoding is cached on the raw bytes: every file of a series repeats the same names.
    """
    value = _raw(dataset, keyword)
    if value is None:
        return ""
    if isinstance(value, bytes):
        charset = _raw(dataset, "SpecificCharacterSet")
        return _decode(value, charset if isinstance(charset, bytes) else str(charset or ""))
    return str(value).strip()


@functools.lru_cache(maxsize=4096)
def _decode(value: bytes, charset: bytes | str) -> str:
    if isinstance(charset, bytes):
        charset = charset.decode("ascii", "replace")
    terms = [term.strip() for term in charset.strip("\x00 ").split("\\")] if charset else []
    try:
        encodings = convert_encodings(terms or ["ISO_IR 6"])
        decoded = decode_bytes(value, encodings, _TEXT_DELIMITERS)
    except Exception:  # undecodable bytes in a descriptive field must not lose the image
        decoded = value.decode("latin-1")
    return decoded.strip("\x00 ")


class NotANumberError(ValueError):
    """A DS/IS attribute whose stored text does not read as numbers (its message names both)."""


def numbers(dataset: HeaderSource, keyword: str) -> list[float]:
    """A DS/IS value (possibly multi-valued) as floats; [] when absent or empty.

    Raises
    ------
    NotANumberError
        The value is present but not numeric (``-1O24`` with a letter O): a number that cannot
        be read is never replaced by a default, which would shift every pixel or position.
    """
    value = _raw(dataset, keyword)
    if value is None:
        return []
    if isinstance(value, bytes):
        parts = value.decode("ascii", "replace").strip("\x00 ").split("\\")
    elif isinstance(value, list | tuple | MultiValue):
        parts = list(value)
    else:
        parts = [value]
    try:
        return [float(part) for part in parts if str(part).strip() != ""]
    except ValueError:
        shown = "\\".join(str(part).strip() for part in parts)
        raise NotANumberError(f"{keyword} '{shown}' is not a number") from None


def optional_numbers(dataset: HeaderSource, keyword: str) -> list[float]:
    """:func:`numbers` for display-only attributes (window presets): [] when not numeric."""
    try:
        return numbers(dataset, keyword)
    except NotANumberError:
        return []


def unsigned_short(dataset: HeaderSource, keyword: str) -> int | None:
    """A US value (Rows, Columns, BitsAllocated...); None when absent."""
    value = _raw(dataset, keyword)
    if value is None or value == b"":
        return None
    if isinstance(value, bytes):
        if len(value) < 2:
            return None
        fmt = "<H" if _little_endian(dataset) else ">H"
        return int(struct.unpack_from(fmt, value)[0])
    if isinstance(value, list | tuple | MultiValue):
        return int(value[0]) if len(value) else None
    return int(value)


def integer(dataset: HeaderSource, keyword: str) -> int | None:
    """An IS value (InstanceNumber, SeriesNumber, NumberOfFrames); None when absent/invalid."""
    values = optional_numbers(dataset, keyword)  # an ordering hint, never a clinical number
    if not values or not float(values[0]).is_integer():
        return None
    return int(values[0])
