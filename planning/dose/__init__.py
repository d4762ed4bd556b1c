"""Dose: beam data, the beam model, the planning images and density, beam set-up, the dose
engine."""
