"""The department PACS in the workstation: the nodes' settings dialog (with Echo), File > Open
from PACS (find, retrieve into the local cache, open) and File > Send to PACS (the exports, with
a per-file result). The networking is `imaging.pacs` (Qt-free, shared with ``spineplan pacs``);
everything here only asks, shows and runs it off the GUI thread (`app.pacs.workers`)."""
