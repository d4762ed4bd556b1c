"""Practice and teaching: scoring a trainee's case against a reference, history, teaching export."""
