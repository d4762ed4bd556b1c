"""A local cache of retrieved images: one copy per SOP Instance UID, a size limit, LRU eviction.

Layout under ``root`` (default ``user_data_dir()/pacs_cache``)::

    instances/<SOP Instance UID>.dcm        the one copy of each image
    studies/<study UID>/<series UID>/       a folder the viewer opens: hard links to the
    studies/<study UID>/study/              instances (copies where the file system has none)
    incoming/                               retrievals in progress (staged, then taken apart)

`PacsCache.retrieve_into_cache` lists the instances of the study or series on the PACS first
and retrieves only when some are not cached yet; afterwards the least recently used instances
(by the time their folder was last built) are evicted until the cache is within its limit,
never those just asked for. A folder that loses an instance to eviction is removed with it (it is
built again on the next request).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from imaging.atomic_write import staged_folder
from imaging.pacs.cache_names import INSTANCES_FOLDER, STUDIES_FOLDER
from imaging.pacs.errors import PacsError, pacs_error
from imaging.pacs.nodes import PacsNode
from imaging.pacs.query import list_instances
from imaging.pacs.retrieve import check_uid, retrieve
from imaging.user_folders import user_data_dir

Progress = Callable[[int, "int | None"], None]
Cancelled = Callable[[], bool]

CACHE_FOLDER = "pacs_cache"
#: Default size limit of the cache: 4 GiB (about 15 000 MR slices of 256 x 256).
DEFAULT_LIMIT_BYTES = 4 << 30
WHOLE_STUDY = "study"


@dataclass(frozen=True)
class CacheStats:
    """What the cache holds: instances and their bytes on disk."""

    instances: int
    size_bytes: int


class PacsCache:
    """One copy per SOP Instance UID under ``root``, at most ``limit_bytes`` after each use."""

    def __init__(self, root: str | Path | None = None, limit_bytes: int = DEFAULT_LIMIT_BYTES):
        if limit_bytes <= 0:
            raise PacsError(f"PACS cache: the size limit must be positive, not {limit_bytes}")
        self.root = Path(root) if root is not None else user_data_dir() / CACHE_FOLDER
        self.limit_bytes = int(limit_bytes)

    @property
    def instances_dir(self) -> Path:
        return self.root / INSTANCES_FOLDER

    @property
    def studies_dir(self) -> Path:
        return self.root / STUDIES_FOLDER

    def instance_path(self, sop_instance_uid: str) -> Path:
        return self.instances_dir / f"{sop_instance_uid}.dcm"

    def has(self, sop_instance_uid: str) -> bool:
        return self.instance_path(sop_instance_uid).is_file()

    def stats(self) -> CacheStats:
        files = list(self.instances_dir.glob("*.dcm")) if self.instances_dir.is_dir() else []
        return CacheStats(len(files), sum(path.stat().st_size for path in files))

    def add(self, path: Path, sop_instance_uid: str) -> Path:
        """Take the file at ``path`` in as the copy of ``sop_instance_uid`` (moved, not copied);
        when that instance is cached already, ``path`` is deleted and the cached copy kept."""
        target = self.instance_path(sop_instance_uid)
        self.instances_dir.mkdir(parents=True, exist_ok=True)
        if target.exists():
            path.unlink()
        else:
            os.replace(path, target)
        return target

    def view(self, study_uid: str, series_uid: str, sop_instance_uids: Iterable[str]) -> Path:
        """The folder of a study (or series) built from cached instances, marked as used now."""
        folder = self.studies_dir / study_uid / (series_uid or WHOLE_STUDY)
        if folder.exists():
            shutil.rmtree(folder)
        now = time.time()
        with staged_folder(folder) as staging:
            for uid in sop_instance_uids:
                source = self.instance_path(uid)
                os.utime(source, (now, now))  # last used: what eviction orders by
                try:
                    os.link(source, staging / source.name)
                except OSError:  # no hard links here (some network or FAT file systems)
                    shutil.copy2(source, staging / source.name)
        return folder

    def evict(self, keep: Iterable[str] = ()) -> list[str]:
        """Delete least recently used instances until within the limit; returns their UIDs.

        Instances in ``keep`` stay even when the cache is still over its limit then.
        """
        if not self.instances_dir.is_dir():
            return []
        kept = set(keep)
        entries = []
        total = 0
        for path in self.instances_dir.glob("*.dcm"):
            status = path.stat()
            total += status.st_size
            entries.append((status.st_mtime, path))
        evicted: list[str] = []
        for _, path in sorted(entries):
            if total <= self.limit_bytes:
                break
            if path.stem in kept:
                continue
            total -= path.stat().st_size
            path.unlink()
            evicted.append(path.stem)
        if evicted:
            self._drop_views(set(evicted))
        return evicted

    def _drop_views(self, evicted: set[str]) -> None:
        if not self.studies_dir.is_dir():
            return
        for folder in self.studies_dir.glob("*/*"):
            if any(path.stem in evicted for path in folder.glob("*.dcm")):
                shutil.rmtree(folder, ignore_errors=True)
        for study in self.studies_dir.iterdir():
            if study.is_dir() and not any(study.iterdir()):
                study.rmdir()

    def retrieve_into_cache(
        self,
        node: PacsNode,
        study_uid: str,
        series_uid: str = "",
        progress: Progress | None = None,
        cancelled: Cancelled | None = None,
    ) -> Path:
        """A folder of the study (or series) the viewer can open, built from cached instances.

        Only when some instance is not cached is anything retrieved (the whole study or series,
        by `imaging.pacs.retrieve.retrieve`; what was cached already is not duplicated).

        Raises
        ------
        PacsError
            As `retrieve` (nothing is added to the cache then) or when the PACS lists no image.
        """
        study_uid = check_uid(study_uid, "study UID")
        series_uid = check_uid(series_uid, "series UID") if series_uid.strip() else ""
        wanted = list_instances(node, study_uid, series_uid, cancelled=cancelled)
        if not wanted:
            what = f"series {series_uid}" if series_uid else f"study {study_uid}"
            raise pacs_error(node, f"no images of {what}")
        missing = [uid for uid in wanted if not self.has(uid)]
        if missing:
            incoming = self.root / "incoming"
            incoming.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=incoming) as scratch:
                result = retrieve(
                    node,
                    study_uid,
                    Path(scratch) / "images",
                    series_uid=series_uid,
                    progress=progress,
                    cancelled=cancelled,
                )
                for path in sorted(result.folder.iterdir()):
                    self.add(path, path.stem)
            still_missing = [uid for uid in wanted if not self.has(uid)]
            if still_missing:
                raise pacs_error(
                    node,
                    f"{len(still_missing)} image(s) it lists did not arrive "
                    f"(e.g. {still_missing[0]})",
                )
        elif progress is not None:
            progress(len(wanted), len(wanted))
        folder = self.view(study_uid, series_uid, wanted)
        self.evict(keep=wanted)
        return folder
