"""Fuzzing the readers beyond images: mutated bytes and mutated attributes, one child per input.

Each input runs in a forked child with a memory cap and a time limit. A reader passes an input
when it returns or refuses it with a :class:`SpineplanError` (one clear line); a traceback of
any other type, a crash (a signal) or a hang is a failure. ``tests/imaging/test_fuzz_readers.py``
runs a few hundred inputs in CI, ``tests/benchmarks/bench_fuzz.py`` a thousand per reader.
"""

from __future__ import annotations

import json
import multiprocessing
import random
import resource
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pydicom
from pydicom.dataelem import RawDataElement

from imaging.errors import SpineplanError

#: Address-space cap of a child, bytes: a reader that tries to allocate more fails there.
MEMORY_CAP_BYTES = 3 * 2**30
#: Seconds an input may take before it counts as a hang.
TIME_LIMIT_S = 30.0

Reader = Callable[[Path], object]


@dataclass
class FuzzReport:
    """Outcome counts of one reader's run, and the inputs that failed."""

    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    def line(self, name: str) -> str:
        parts = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items()))
        return f"{name}: {sum(self.counts.values())} inputs ({parts})"


def mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    """Flip, overwrite, insert or cut bytes (past the preamble, where parsing happens)."""
    buffer = bytearray(data)
    start = 132 if len(buffer) > 200 else 0
    for _ in range(rng.randint(1, 8)):
        action = rng.random()
        where = rng.randrange(start, max(start + 1, len(buffer)))
        if action < 0.4:
            buffer[where] = rng.randrange(256)
        elif action < 0.6:
            buffer[where : where + 4] = rng.randbytes(4)
        elif action < 0.8:
            buffer[where:where] = rng.randbytes(rng.randint(1, 16))
        else:
            del buffer[where:]
            break
    return bytes(buffer)


_JUNK_VALUES = (b"", b"-1O24", b"\xff\xfe\x00", b"1e999", b"NaN", b"\\\\\\", b"9" * 60, b"A" * 3)


def mutate_attributes(path: Path, target: Path, rng: random.Random) -> None:
    """Replace, empty or delete random elements, at any depth of the sequences."""
    ds = pydicom.dcmread(path)
    elements = []

    def collect(dataset: pydicom.Dataset) -> None:
        for element in dataset:
            if element.tag == 0x7FE00010:
                continue
            elements.append((dataset, element))
            if element.VR == "SQ":
                for item in element.value:
                    collect(item)

    collect(ds)
    for _ in range(rng.randint(1, 4)):
        dataset, element = rng.choice(elements)
        if element.tag not in dataset:
            continue
        if rng.random() < 0.3:
            del dataset[element.tag]
        elif element.VR == "SQ":
            element.value = [] if rng.random() < 0.5 else list(element.value)[:1] * 3
        else:
            value = rng.choice(_JUNK_VALUES)
            value += b" " * (len(value) % 2)
            dataset[element.tag] = RawDataElement(
                element.tag, element.VR, len(value), value, 0, False, True
            )
    try:
        ds.save_as(target, enforce_file_format=False)
    except Exception:  # pydicom cannot encode every mutation: use the bytes instead
        target.write_bytes(mutate_bytes(path.read_bytes(), rng))


def mutate_json(text: str, rng: random.Random) -> str:
    """Delete keys, or swap values for ones of the wrong type, at any depth."""
    data = json.loads(text)
    nodes: list[tuple[object, object]] = []

    def collect(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                nodes.append((node, key))
                collect(value)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                nodes.append((node, index))
                collect(value)

    collect(data)
    junk = [None, "", "x", -1, 0, 1e308, float("nan"), [], {}, [1, 2], True, "1" * 500]
    for _ in range(rng.randint(1, 4)):
        if not nodes:
            break
        parent, key = rng.choice(nodes)
        try:
            if isinstance(parent, dict) and rng.random() < 0.3:
                del parent[key]
            else:
                parent[key] = rng.choice(junk)  # type: ignore[index]
        except (KeyError, IndexError):
            continue
    return json.dumps(data, allow_nan=True)


def _child(reader: Reader, path: Path, pipe: object) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP_BYTES, MEMORY_CAP_BYTES))
    try:
        reader(path)
        outcome, text = "read", ""
    except SpineplanError as error:
        message = str(error)
        outcome = "refused" if message and "\n" not in message.strip() else "multi-line message"
        text = message
    except MemoryError:
        outcome, text = "memory cap", traceback.format_exc()
    except BaseException:
        outcome, text = "traceback", traceback.format_exc()
    pipe.send((outcome, text))  # type: ignore[attr-defined]


def run_input(reader: Reader, path: Path) -> tuple[str, str]:
    """Run ``reader(path)`` in a forked child: ``(outcome, detail)``."""
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_child, args=(reader, path, send))
    child.start()
    send.close()
    if not receive.poll(TIME_LIMIT_S):
        child.kill()
        child.join()
        return "hang", f"no answer within {TIME_LIMIT_S:g} s"
    try:
        outcome, text = receive.recv()
    except EOFError:
        outcome, text = "crash", "the child died without answering"
    child.join()
    if child.exitcode and child.exitcode < 0:
        return "crash", f"signal {-child.exitcode}"
    return outcome, text


def fuzz(
    reader: Reader,
    seed_file: Path,
    work: Path,
    count: int,
    *,
    seed: int = 0,
    kind: str = "dicom",
) -> FuzzReport:
    """Run ``count`` mutated copies of ``seed_file`` through ``reader``."""
    rng = random.Random(seed)
    report = FuzzReport()
    work.mkdir(parents=True, exist_ok=True)
    original = seed_file.read_bytes()
    for number in range(count):
        target = work / f"input{number:05d}{seed_file.suffix}"
        if kind == "json":
            target.write_text(mutate_json(original.decode("utf-8"), rng))
        elif rng.random() < 0.5:
            target.write_bytes(mutate_bytes(original, rng))
        else:
            mutate_attributes(seed_file, target, rng)
        outcome, text = run_input(reader, target)
        report.counts[outcome] += 1
        if outcome not in ("read", "refused"):
            report.failures.append(f"{target.name}: {outcome}: {text.strip()[-600:]}")
        target.unlink(missing_ok=True)
    return report
