"""Benchmark: dose of one beam on a 256 x 256 x 200 grid (target: under 1 s per beam).

Run: ``cd /work/main && PYTHONPATH=. .venv/bin/python tests/benchmarks/bench_dose.py``.
Prints the time per beam for a PA and a lateral 6 MV beam on an axial patient-sized grid
(1.5 x 1.5 x 2.5 mm voxels, water cylinder body with a lung-density region), with and without
the per-voxel depth output.
"""

from __future__ import annotations

import time

import numpy as np

from imaging.volume import Volume
from planning.dose.engine import compute_beam_dose
from planning.field.beam import Beam


def patient_grid() -> Volume:
    nk, nj, ni = 200, 256, 256
    spacing = (1.5, 1.5, 2.5)  # i, j, k in mm
    affine = np.diag([*spacing, 1.0])
    affine[:3, 3] = (-(ni - 1) * spacing[0] / 2, -(nj - 1) * spacing[1] / 2, -250.0)
    j, i = np.mgrid[0:nj, 0:ni]
    x = (i - (ni - 1) / 2) * spacing[0]
    y = (j - (nj - 1) / 2) * spacing[1]
    body = (x / 170.0) ** 2 + (y / 110.0) ** 2 <= 1.0
    lung = ((np.abs(x) - 80.0) / 50.0) ** 2 + ((y + 10.0) / 60.0) ** 2 <= 1.0
    slice_density = np.where(body, np.where(lung, 0.25, 1.0), 0.0).astype(np.float32)
    return Volume(array=np.broadcast_to(slice_density, (nk, nj, ni)).copy(), affine=affine)


def main() -> None:
    density = patient_grid()
    iso = (0.0, 40.0, -50.0)
    beams = [
        Beam.symmetric("6MV", 180.0, iso, 8.0, 20.0, setup="SAD", name="PA 8x20"),
        Beam.symmetric("6MV", 90.0, iso, 10.0, 15.0, setup="SAD", name="LAT 10x15"),
        Beam.symmetric("6MV", 180.0, iso, 30.0, 30.0, setup="SAD", name="PA 30x30"),
    ]
    print(f"grid {density.shape[2]}x{density.shape[1]}x{density.shape[0]} voxels")
    compute_beam_dose(beams[0], density, density)  # warm caches (table loading, imports)
    for beam in beams:
        for with_depth in (True, False):
            runs, cpu = [], []
            for _ in range(3):
                start, start_cpu = time.perf_counter(), time.process_time()
                compute_beam_dose(beam, density, density, with_depth=with_depth)
                runs.append(time.perf_counter() - start)
                cpu.append(time.process_time() - start_cpu)
            # CPU time is what one beam costs on an idle core (the engine is single-threaded);
            # wall time also shows contention from whatever else runs on the machine.
            print(
                f"{beam.name:10s} with_depth={with_depth!s:5s}  wall best {min(runs):.3f} s "
                f"median {sorted(runs)[1]:.3f} s; CPU best {min(cpu):.3f} s per beam"
            )


if __name__ == "__main__":
    main()
