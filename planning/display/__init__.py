"""How marks are shown, the same on screen and in the report (no Qt): the palette and the
placement of labels beside the lines they name."""
