"""Evaluation: coverage, the verdict, monitor units and treatment time, structure dose."""
