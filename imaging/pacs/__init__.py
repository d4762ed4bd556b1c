"""Department PACS: query, retrieve and send over DICOM networking (DIMSE) and DICOMweb.

Qt-free, on pynetdicom (C-ECHO, C-FIND, C-GET, C-MOVE, C-STORE) and dicomweb-client (QIDO-RS,
WADO-RS, STOW-RS). One module per job:

- `imaging.pacs.nodes`: `PacsNode`, the nodes kept in the user's settings;
- `imaging.pacs.credentials`: a DICOMweb node's password or token in the system keyring;
- `imaging.pacs.tls`: the verified TLS context of https and DICOM TLS (client certificates
  for mutual TLS), and TLS failures in words;
- `imaging.pacs.dimse`: associations (plain or DICOM TLS), failures as one line;
- `imaging.pacs.web`: DICOMweb sessions (verified https, credentials, QIDO-RS paging);
- `imaging.pacs.echo`: `echo`; `imaging.pacs.query`: `search_studies` (at most `MAX_STUDIES`,
  and whether the list was cut), `find_studies`;
- `imaging.pacs.retrieve`: `retrieve` (C-GET, C-MOVE or WADO-RS, into a staged folder);
- `imaging.pacs.send`: `send` (C-STORE or STOW-RS, one outcome per file);
- `imaging.pacs.cache`: `PacsCache` (one copy per SOP Instance UID, a size limit).

Every failure is a `PacsError` whose one-line message names the node and what failed.
"""

from imaging.pacs.errors import PacsCancelled, PacsError, PacsUnreachable
from imaging.pacs.nodes import PacsNode

__all__ = ["PacsCancelled", "PacsError", "PacsNode", "PacsUnreachable"]
