"""Field derivation: borders from the levels and the lesion, arrangement, width."""
