"""RT objects keep the patient's name in the reference images' character set (issue 14, item 4).

They used to declare ISO_IR 100 whatever the images said, so 山田^太郎 was written as ??^??.
"""

from __future__ import annotations

import numpy as np
import pydicom
import pytest
from pydicom.uid import generate_uid

from imaging.rt_common import character_set_for
from imaging.rtdose import write_rtdose
from imaging.volume import Volume
from tests.imaging.test_rtstruct import _sagittal_series


def _dose() -> Volume:
    affine = np.diag([2.0, 2.0, 2.5, 1.0])
    return Volume(array=np.ones((4, 5, 6), dtype=np.float32), affine=affine)


@pytest.mark.parametrize(
    ("declared", "name"),
    [
        ("ISO_IR 192", "山田^太郎"),
        (None, "山田^太郎"),
        ("ISO_IR 100", "Müller^Jürgen"),
        (["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎"),
    ],
)
def test_the_patient_name_survives_the_rt_dose(tmp_path, declared, name) -> None:
    headers, _ = _sagittal_series(slices=2)
    for ds in headers:
        ds.PatientName = name
        if declared is not None:
            ds.SpecificCharacterSet = declared
    path = write_rtdose(tmp_path / "rd.dcm", _dose(), headers, referenced_plan_uid=generate_uid())
    back = pydicom.dcmread(path)
    assert str(back.PatientName) == name
    assert "?" not in str(back.PatientName)


def test_plain_ascii_keeps_latin1_and_other_text_gets_utf8() -> None:
    headers, _ = _sagittal_series(slices=1)
    assert character_set_for(headers[0]) == "ISO_IR 100"
    headers[0].PatientName = "山田^太郎"
    assert character_set_for(headers[0]) == "ISO_IR 192"
