"""Writing files and folders whole or not at all: the one atomic-write helper of spineplan.

Everything spineplan saves -- case files, masks, recovery files, DICOM objects, field limits,
de-identified studies -- is first written under a temporary name beside its target and then
renamed onto it (``os.replace``, atomic on one file system). A crash or an exception while
writing leaves the previous file (or no file) and no temporary file behind.

- `write_atomic` writes bytes or text;
- `save_atomic` lets a library write (``pydicom``'s ``save_as``, ``SimpleITK.WriteImage``)
  through a callable that gets the temporary path;
- `atomic_path` is the same as a context manager;
- `write_atomic_together` writes several files, all before any replaces its target;
- `staged_folder` builds a whole folder under a temporary name and renames it at the end.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path


def _folder_of(path: Path) -> Path:
    return path.parent if str(path.parent) else Path(".")


def _read_umask() -> int:
    """The process's umask, read without changing it where the system tells it (Linux).

    ``os.umask`` can only be read by setting it: done from a worker thread, another thread
    creating a file in between would get mode 0. Elsewhere the fallback runs once, at import.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_IMPORT_UMASK = _read_umask()


def _umask() -> int:
    return _read_umask() if Path("/proc/self/status").exists() else _IMPORT_UMASK


def _usual_mode(path: Path) -> int:
    """The existing file's permissions, else what a plain ``open`` would give (umask)."""
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        return 0o666 & ~_umask()


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path to write ``path`` through: it replaces ``path`` when the block succeeds.

    The temporary file lies in the target's folder (hidden, ``.NAME.XXXX.tmp.SUFFIX``: the
    suffix is kept for writers that choose the format by it, such as SimpleITK). When the block
    raises, the temporary file is deleted and ``path`` is left as it was. The new file gets the
    permissions of the file it replaces (a new one those of a plain ``open``).

    Raises
    ------
    OSError
        When the folder cannot be written (before the block runs) or the rename fails.
    """
    target = Path(path)
    suffix = ".nii.gz" if target.name.lower().endswith(".nii.gz") else target.suffix
    handle, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=f".tmp{suffix}", dir=_folder_of(target)
    )
    os.close(handle)
    temporary = Path(name)
    try:
        os.chmod(temporary, _usual_mode(target))
        yield temporary
        _fsync(temporary)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)


def save_atomic(path: str | Path, writer: Callable[[Path], object]) -> Path:
    """Call ``writer(temporary_path)`` and put the result in place of ``path`` atomically.

    E.g. ``save_atomic(target, lambda p: dataset.save_as(p, enforce_file_format=True))``.
    Returns ``path`` as a `Path`; exceptions of ``writer`` propagate (nothing is left behind).
    """
    with atomic_path(path) as temporary:
        writer(temporary)
    return Path(path)


def write_atomic(path: str | Path, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` (text is encoded with ``encoding``) to ``path`` atomically; returns it."""
    payload = data.encode(encoding) if isinstance(data, str) else data
    return save_atomic(path, lambda temporary: temporary.write_bytes(payload))


def write_atomic_together(
    files: Mapping[str | Path, bytes | str], *, encoding: str = "utf-8"
) -> list[Path]:
    """Write several files, each atomically, all before any replaces its target.

    For files that belong together (a JSON and its text rendering): a failure while writing
    leaves every target as it was. (The renames at the end are not one atomic step: a crash
    between two of them would leave a new file beside an old one.)
    """
    with ExitStack() as stack:
        for path, data in files.items():
            temporary = stack.enter_context(atomic_path(path))
            payload = data.encode(encoding) if isinstance(data, str) else data
            temporary.write_bytes(payload)
    return [Path(path) for path in files]


@contextmanager
def staged_folder(destination: str | Path, *, merge: bool = False) -> Iterator[Path]:
    """A fresh folder to fill; it becomes ``destination`` when the block succeeds.

    The folder is made beside ``destination`` under a private hidden name (never an existing
    folder of the user's) with the usual permissions. ``destination`` may exist only as an
    empty folder, which is replaced -- or, with ``merge``, as any folder: then each file of
    the staged folder replaces its namesake there (one ``os.replace`` each) and the other
    files of ``destination`` stay. When the block raises, the staged folder is removed and
    ``destination`` is untouched.
    """
    target = Path(destination)
    parent = _folder_of(target)
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=parent))
    try:
        # mkdtemp makes the folder private; the output gets the usual mode
        os.chmod(staging, 0o777 & ~_umask())
        yield staging
        if merge and target.is_dir() and any(target.iterdir()):
            for staged in sorted(staging.iterdir()):
                os.replace(staged, target / staged.name)
            staging.rmdir()
            return
        if target.exists():
            target.rmdir()
        staging.replace(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


__all__ = ["atomic_path", "save_atomic", "staged_folder", "write_atomic", "write_atomic_together"]
