"""Dose: beam data, beam model, planning images and density, beam set-up, dose engine."""
