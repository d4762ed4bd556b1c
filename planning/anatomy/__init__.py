"""Anatomy: vertebral levels, the counting check, the lesion, the cord edema, structure masks."""
