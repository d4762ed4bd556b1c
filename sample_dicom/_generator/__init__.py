"""Deterministic generator of the synthetic spine studies bundled in ``sample_dicom/``.

Only numpy and pydicom are used; every number is computed in float64 from fixed parameters and
fixed random seeds, so two runs (on any machine) write byte-identical files.
"""
