"""Practice mode: a trainee delineates a reference case and is scored (see docs/practice.md)."""
