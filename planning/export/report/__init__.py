"""The PDF plan report: images with the field and isodoses, the tables, the verdict, the DVH.

Drawn with matplotlib (no Qt): :func:`write_report_pdf` writes it, :func:`report_figures` gives
its pages as figures (see :mod:`planning.export.report.document`).
"""

from planning.export.report.document import report_figures, write_report_pdf
from planning.export.report.planes import ImagePlane, axial_plane, sagittal_plane

__all__ = ["ImagePlane", "axial_plane", "report_figures", "sagittal_plane", "write_report_pdf"]
