"""The colours of the PACS dialogs' result lines: the palette's verdict colours, so an error
reads the same here as a failed plan (and not by red against green alone: each line also
starts with ✓ or ✗, or says what failed)."""

from __future__ import annotations

from app.viewer.colours import qcolor
from planning.display.palette import VERDICT_FAIL, VERDICT_PASS, hex_of

ERROR_COLOUR = qcolor(VERDICT_FAIL)
OK_COLOUR = qcolor(VERDICT_PASS)
ERROR_STYLE = f"color: {hex_of(VERDICT_FAIL)};"
OK_STYLE = f"color: {hex_of(VERDICT_PASS)};"
