"""Exports of a plan: field limits, DICOM RT objects."""
