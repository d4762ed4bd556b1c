"""Recipe for the tiny JPEG files in tests/data/dcmtk/ (pydicom cannot encode these syntaxes).

JPEG baseline (process 1) and JPEG lossless (process 14, and its selection value 1 variant)
need an external encoder; dcmtk's ``dcmcjpeg`` is the reference one (``+sr`` keeps lossy
8-bit values unscaled; by default dcmcjpeg stretches each image to its own min/max). Each
sample is a 3-slice series written by `tests.dicom_builders.write_series` with the keyword
arguments in ``SAMPLES`` (so a test can rebuild the expected voxels and affine), then
compressed.

Run from the repository root (needs dcmtk: ``apt-get install dcmtk``)::

    PYTHONPATH=. python tests/data/make_dcmtk_samples.py
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.dicom_builders import smooth_pattern, write_series

OUTPUT = Path(__file__).parent / "dcmtk"

_SHAPE = (3, 16, 16)

#: sample name -> (dcmcjpeg options, transfer syntax UID it yields, write_series keywords)
SAMPLES: dict[str, tuple[tuple[str, ...], str, dict[str, object]]] = {
    "jpeg_baseline": (
        ("+eb", "+sr"),
        "1.2.840.10008.1.2.4.50",
        {
            "shape": _SHAPE,
            "orientation": "sagittal",
            "bits_allocated": 8,
            "values": smooth_pattern(_SHAPE, maximum=250, seed=5),
        },
    ),
    "jpeg_lossless_sv1": (
        ("+e1",),
        "1.2.840.10008.1.2.4.70",
        {"shape": _SHAPE, "orientation": "axial", "values": smooth_pattern(_SHAPE, seed=6)},
    ),
    "jpeg_lossless_p14": (
        ("+el",),
        "1.2.840.10008.1.2.4.57",
        {"shape": _SHAPE, "orientation": "coronal", "values": smooth_pattern(_SHAPE, seed=7)},
    ),
}


def main() -> None:
    for name, (options, _, keywords) in SAMPLES.items():
        target = OUTPUT / name
        shutil.rmtree(target, ignore_errors=True)
        target.mkdir(parents=True)
        with tempfile.TemporaryDirectory() as scratch:
            built = write_series(Path(scratch), **keywords)  # type: ignore[arg-type]
            for path in built.paths:
                subprocess.run(
                    ["dcmcjpeg", *options, str(path), str(target / path.name)], check=True
                )
        print(f"{name}: {sum(p.stat().st_size for p in target.iterdir())} bytes")


if __name__ == "__main__":
    main()
