"""C-ECHO (DIMSE) or a QIDO-RS round trip (DICOMweb): is the PACS there, and how fast."""

from __future__ import annotations

import time

from pynetdicom.sop_class import Verification  # type: ignore[attr-defined]

from imaging.pacs.dimse import association, check_alive
from imaging.pacs.errors import pacs_error
from imaging.pacs.nodes import PacsNode


def echo(node: PacsNode, timeout_s: float = 10) -> float:
    """Round-trip time in seconds of a C-ECHO (DIMSE) or a one-study QIDO-RS query (DICOMweb).

    Raises
    ------
    PacsError
        Naming the node and what failed (no connection, rejected, timeout, bad status).
    """
    start = time.perf_counter()
    if node.kind == "dicomweb":
        from imaging.pacs.web import web_call, web_client

        client = web_client(node, timeout_s=timeout_s)
        web_call(node, "QIDO-RS echo", lambda: client.search_for_studies(limit=1))
        return time.perf_counter() - start
    from pynetdicom import build_context

    with association(node, [build_context(Verification)], timeout_s=timeout_s) as assoc:
        status = assoc.send_c_echo()
        check_alive(node, assoc, "C-ECHO")
        code = getattr(status, "Status", None)
        if code != 0x0000:
            shown = "no response" if code is None else f"status 0x{code:04X}"
            raise pacs_error(node, f"C-ECHO failed: {shown}")
    return time.perf_counter() - start
