"""The PDF plan report: images with the field and isodoses, the tables, the verdict, the DVH.

:func:`write_report_pdf` writes it (see :mod:`app.report.document` for the pages).
"""

from app.report.document import write_report_pdf
from app.report.planes import ImagePlane, axial_plane, sagittal_plane

__all__ = ["ImagePlane", "axial_plane", "sagittal_plane", "write_report_pdf"]
