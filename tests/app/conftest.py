"""Fixtures for driving the real main window offscreen: a synthetic spine study on disk."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from imaging.pacs.nodes import PacsNode
from imaging.pacs.send import send
from tests.dicom_builders import BuiltSeries, uid, write_series
from tests.imaging.pacs_helpers import SAMPLE_CASE
from tests.pacs_server import DicomTls, OrthancServer, dicom_tls_missing_reason
from tests.pacs_tls import CertificateFiles, TestCA

# Widgets need a QApplication: one made at collection time, before any test runs, is shared by
# every test in the process.
_APPLICATION = QApplication.instance() or QApplication([])

SAGITTAL_T1_SHAPE = (9, 64, 48)  # slices (L-R), rows (S->I), columns (A->P)
SAGITTAL_T2_SHAPE = (7, 80, 60)


@dataclass(frozen=True)
class Study:
    folder: Path
    t1: BuiltSeries
    t2: BuiltSeries
    axial: BuiltSeries


def spine_phantom(shape: tuple[int, int, int], cord_value: int, seed: int = 0) -> np.ndarray:
    """A dim body with a bright vertical band (the 'cord') and a brighter blob (the 'lesion')."""
    slices, rows, columns = shape
    rng = np.random.default_rng(seed)
    values = rng.integers(80, 120, size=shape).astype(np.int64)
    values[:, :, columns // 2 - 3 : columns // 2 + 3] = cord_value
    values[slices // 2, rows // 3 : rows // 3 + 6, columns // 2 - 2 : columns // 2 + 2] = 2000
    values[:, :, :2] = 0  # air in front of the body
    return values


def write_study(folder: Path, *, seed: str = "study") -> Study:
    """Three series of one study and frame: sagittal T1 +C, sagittal T2, axial T1 +C.

    The T2 and the axial lie on other grids than the T1, so linking must go by patient position.
    """
    study_uid, frame_uid = uid(f"{seed}-study"), uid(f"{seed}-frame")
    common = dict(
        study_instance_uid=study_uid,
        frame_of_reference_uid=frame_uid,
        PatientName="PHANTOM^SPINE",
        PatientID="SP-0001",
        StudyDate="20240315",
        StudyDescription="MRI C-spine",
    )
    t1 = write_series(
        folder / "t1c",
        orientation="sagittal",
        shape=SAGITTAL_T1_SHAPE,
        pixel_spacing_mm=(1.2, 1.0),
        slice_spacing_mm=3.5,
        origin_mm=(14.0, -30.0, 40.0),
        values=spine_phantom(SAGITTAL_T1_SHAPE, 900),
        series_number=5,
        series_description="SAG T1 +C",
        series_instance_uid=uid(f"{seed}-t1"),
        **common,
    )
    t2 = write_series(
        folder / "t2",
        orientation="sagittal",
        shape=SAGITTAL_T2_SHAPE,
        pixel_spacing_mm=(1.0, 0.8),
        slice_spacing_mm=4.0,
        origin_mm=(12.0, -28.0, 38.0),
        values=spine_phantom(SAGITTAL_T2_SHAPE, 1800, seed=1),
        series_number=3,
        series_description="SAG T2",
        series_instance_uid=uid(f"{seed}-t2"),
        **common,
    )
    axial = write_series(
        folder / "ax",
        orientation="axial",
        shape=(6, 40, 40),
        pixel_spacing_mm=(0.9, 0.9),
        slice_spacing_mm=5.0,
        origin_mm=(-18.0, -30.0, -20.0),
        series_number=7,
        series_description="AX T1 +C",
        series_instance_uid=uid(f"{seed}-ax"),
        **common,
    )
    return Study(folder=folder, t1=t1, t2=t2, axial=axial)


@pytest.fixture
def study(tmp_path: Path) -> Study:
    return write_study(tmp_path / "study")


@pytest.fixture
def settings(tmp_path: Path):
    from PySide6.QtCore import QSettings

    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, settings):
    from PySide6.QtWidgets import QApplication

    from app.main_window import MainWindow
    from app.theme import apply_dark_theme

    apply_dark_theme(QApplication.instance())
    main = MainWindow(settings=settings)
    qtbot.addWidget(main)
    main.resize(1400, 900)
    main.show()
    qtbot.waitExposed(main)
    yield main
    main.loader.cancel()
    main.loader.wait(10_000)


def open_and_wait(qtbot, window, path, timeout_ms: int = 30_000) -> str:
    """Open ``path`` in ``window`` and wait for the load to end; returns its outcome."""
    with qtbot.waitSignal(window.load_finished, timeout=timeout_ms) as blocker:
        window.open_path(path)
    return blocker.args[0]


@pytest.fixture(autouse=True)
def _user_data_in_tmp(tmp_path, monkeypatch):
    """Keep what the app writes to the user data folder (annotation recovery files, practice
    history) out of the real home folder."""
    if "SPINEPLAN_DATA_DIR" not in os.environ:
        monkeypatch.setenv("SPINEPLAN_DATA_DIR", str(tmp_path / "spineplan-data"))


@pytest.fixture(autouse=True)
def _unsaved_changes_discarded(monkeypatch):
    """The Save / Discard / Cancel question on close or open answers Discard unless a test
    answers it itself (offscreen, a modal question would wait for ever)."""
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(
        QMessageBox, "question", lambda *_args, **_kwargs: QMessageBox.StandardButton.Discard
    )


# -- an Orthanc with DICOM TLS that requires a client certificate (command line and GUI tests) --
@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> TestCA:
    return TestCA.make(tmp_path_factory.mktemp("ca"))


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory, ca: TestCA) -> CertificateFiles:
    return ca.client_pair(tmp_path_factory.mktemp("client"))


@pytest.fixture(scope="module")
def mutual(
    tmp_path_factory: pytest.TempPathFactory, ca: TestCA, client: CertificateFiles
) -> Iterator[OrthancServer]:
    """Orthanc with DICOM TLS requiring a client certificate from ``ca`` (its own certificate
    good for C-MOVE call-backs too); sample case 2 in it."""
    reason = dicom_tls_missing_reason()
    if reason:
        pytest.skip(reason)
    folder = tmp_path_factory.mktemp("mutual")
    pair = ca.server_pair(folder / "certificate", client_too=True)
    tls = DicomTls(pair.cert_file, pair.key_file, ca.ca_file, client_certificate_required=True)
    server = OrthancServer(folder / "orthanc", dicom_tls=tls).start()
    try:
        assert all(outcome.ok for outcome in send(tls_node(server, ca, client), [SAMPLE_CASE]))
        yield server
    finally:
        server.stop()


def tls_node(server: OrthancServer, ca: TestCA, client: CertificateFiles) -> PacsNode:
    """A node of ``server`` over TLS with ``client``'s certificate (C-GET: no move port)."""
    return server.dimse_node(
        "tls-pacs",
        tls=True,
        ca_file=str(ca.ca_file),
        client_cert_file=str(client.cert_file),
        client_key_file=str(client.key_file),
        move_port=0,
    )
