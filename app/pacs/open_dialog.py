"""File > Open from PACS: search a PACS, choose a study or some of its series, retrieve them into
the local cache and open them in the viewer.

The search (patient ID, name, study date range, modality) and the retrieve each run off the GUI
thread (`app.pacs.workers`); the results are studies with their series (description, modality,
image count) in a tree. Retrieve takes the chosen study, or the chosen series of one study, with
a progress bar and Cancel, into `imaging.pacs.cache.PacsCache` (one copy per SOP Instance UID; a
cancelled retrieve leaves nothing); then ``open_folders`` opens the retrieved folders the way
File > Open folder opens one. Failures are shown as the PACS error's one line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QDate, QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.pacs.node_chooser import NodeChooser, remember_node
from app.pacs.password_dialog import node_with_secret
from app.pacs.status_style import ERROR_STYLE
from app.pacs.workers import PacsWorker, find_worker, let_finish, retrieve_worker
from imaging.pacs.nodes import PacsNode
from imaging.plurals import plural

if TYPE_CHECKING:
    from imaging.pacs.cache import PacsCache
    from imaging.pacs.query import SeriesFound, StudyFound, StudySearch

#: the modalities offered in the search (any other may be typed)
MODALITIES = ("", "MR", "CT", "RTSTRUCT", "RTPLAN", "RTDOSE", "SEG", "REG")
#: a tree item's data role holding its study (top level) or series (child)
RECORD_ROLE = Qt.ItemDataRole.UserRole


def dicom_date_text(date: str) -> str:
    """``20240315`` as ``2024-03-15`` (other texts as they are)."""
    if len(date) == 8 and date.isdigit():
        return f"{date[:4]}-{date[4:6]}-{date[6:]}"
    return date


def images_text(images: int | None) -> str:
    return "?" if images is None else str(images)


def patient_text(study: StudyFound) -> str:
    """A study's top line: patient name (DICOM ^ as spaces), ID and description."""
    name = " ".join(study.patient_name.replace("^", " ").split()) or "(no name)"
    described = f" — {study.study_description}" if study.study_description else ""
    return f"{name} ({study.patient_id or 'no ID'}){described}"


def series_text(series: SeriesFound) -> str:
    number = f"#{series.series_number} " if series.series_number is not None else ""
    return f"{number}{series.series_description or '(no description)'}"


class OpenFromPacsDialog(QDialog):
    """Find, retrieve and open (see the module docstring).

    Parameters
    ----------
    nodes : the configured PACS nodes (at least one).
    cache : the cache retrieved images are kept in (made when first retrieving).
    open_folders : opens the retrieved folders in the viewer.
    may_open : asked before a retrieve (the unsaved-work question); False stops it.
    settings : where the last node used is kept.

    Signals
    -------
    search_finished(str) : a search ended; the status line as shown.
    retrieve_finished(str) : a retrieve ended: "done", "cancelled" or "failed".
    """

    search_finished = Signal(str)
    retrieve_finished = Signal(str)

    def __init__(
        self,
        nodes: list[PacsNode],
        cache: Callable[[], PacsCache],
        open_folders: Callable[[list[Path]], None],
        may_open: Callable[[], bool],
        settings: QSettings | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("OpenFromPacsDialog")
        self.setWindowTitle("Open from PACS")
        self.cache, self.open_folders, self.may_open = cache, open_folders, may_open
        self.settings = settings
        self.worker: PacsWorker | None = None
        self.studies: list[StudyFound] = []

        self.node_chooser = NodeChooser(nodes, settings, self)
        self.patient_id_edit = QLineEdit(self)
        self.patient_id_edit.setObjectName("PacsPatientId")
        self.patient_id_edit.setPlaceholderText("any")
        self.patient_name_edit = QLineEdit(self)
        self.patient_name_edit.setObjectName("PacsPatientName")
        self.patient_name_edit.setPlaceholderText("any; * and ? as wildcards, e.g. DOE*")
        self.date_check = QCheckBox("Study date from", self)
        self.date_check.setObjectName("PacsDateRange")
        today = QDate.currentDate()
        self.date_from_edit = QDateEdit(today.addMonths(-1), self)
        self.date_to_edit = QDateEdit(today, self)
        for edit in (self.date_from_edit, self.date_to_edit):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            edit.setEnabled(False)
        self.date_check.toggled.connect(self.date_from_edit.setEnabled)
        self.date_check.toggled.connect(self.date_to_edit.setEnabled)
        self.modality_combo = QComboBox(self)
        self.modality_combo.setObjectName("PacsModality")
        self.modality_combo.setEditable(True)
        self.modality_combo.addItems(MODALITIES)
        self.modality_combo.setItemText(0, "")
        modality_line = self.modality_combo.lineEdit()
        if modality_line is not None:
            modality_line.setPlaceholderText("any")
        self.search_button = QPushButton("Search", self)
        self.search_button.setObjectName("PacsSearch")
        self.search_button.setToolTip("Ask the PACS for the matching studies and their series")

        search = QFormLayout()
        search.addRow("PACS", self.node_chooser)
        ids = QHBoxLayout()
        ids.addWidget(self.patient_id_edit, 1)
        ids.addWidget(QLabel("Patient name", self))
        ids.addWidget(self.patient_name_edit, 2)
        search.addRow("Patient ID", ids)
        dates = QHBoxLayout()
        dates.addWidget(self.date_check)
        dates.addWidget(self.date_from_edit)
        dates.addWidget(QLabel("to", self))
        dates.addWidget(self.date_to_edit)
        dates.addStretch(1)
        dates.addWidget(QLabel("Modality", self))
        dates.addWidget(self.modality_combo)
        dates.addWidget(self.search_button)
        search.addRow("", dates)

        self.tree = QTreeWidget(self)
        self.tree.setObjectName("PacsResults")
        self.tree.setHeaderLabels(["Patient / series", "Date", "Modality", "Images"])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setUniformRowHeights(True)
        # the patient and description get the room: the study row's list of modalities (RT
        # series make it long) is elided in a column as wide as one series' modality, and
        # the last column does not stretch
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in (1, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
        self.status_label = QLabel(
            "Search by patient ID, name, study date or modality (all empty: every study).", self
        )
        self.status_label.setObjectName("PacsOpenStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setObjectName("PacsRetrieveProgress")
        self.cancel_button = QPushButton("Cancel", self)
        self.cancel_button.setObjectName("PacsCancel")
        self.cancel_button.setToolTip(
            "Stop the search or the retrieve; nothing half-retrieved is kept"
        )
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress_bar, 1)
        progress_row.addWidget(self.cancel_button)

        buttons = QDialogButtonBox(self)
        self.retrieve_button = buttons.addButton(
            "Retrieve and open", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.retrieve_button.setObjectName("PacsRetrieve")
        self.close_button = buttons.addButton(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        self.retrieve_button.clicked.connect(self.retrieve)

        layout = QVBoxLayout(self)
        layout.addLayout(search)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.status_label)
        layout.addLayout(progress_row)
        layout.addWidget(buttons)

        self.search_button.clicked.connect(self.search)
        for line in (self.patient_id_edit, self.patient_name_edit):
            line.returnPressed.connect(self.search)
        self.cancel_button.clicked.connect(self.cancel)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self.tree.itemDoubleClicked.connect(lambda _item, _column: self.retrieve())
        self._update_buttons()
        self.search_button.setDefault(True)
        self.patient_id_edit.setFocus()  # open, type the ID, Enter: the usual search
        self.resize(900, 600)

    # -- state ----------------------------------------------------------------------------
    @property
    def busy(self) -> bool:
        return self.worker is not None

    def _update_buttons(self) -> None:
        busy = self.busy
        for widget in (self.progress_bar, self.cancel_button):
            widget.setVisible(busy)
        self.search_button.setEnabled(not busy)
        self.node_chooser.setEnabled(not busy)
        study, _series, problem = self.chosen()
        self.retrieve_button.setEnabled(not busy and study is not None)
        self.retrieve_button.setToolTip(
            problem or "Retrieve the chosen study (or its chosen series) and open it"
        )

    def _say(self, text: str, error: bool = False) -> None:
        self.status_label.setText(text)
        self.status_label.setStyleSheet(ERROR_STYLE if error else "")

    # -- search ---------------------------------------------------------------------------
    def search(self) -> None:
        """Ask the chosen PACS for the matching studies, in the background."""
        node = self.node_chooser.node()
        if node is None or self.busy:
            return
        node = node_with_secret(node, self)
        if node is None:  # the password dialog was cancelled
            return
        remember_node(self.settings, node)
        dates = ("", "")
        if self.date_check.isChecked():
            dates = (
                self.date_from_edit.date().toString("yyyyMMdd"),
                self.date_to_edit.date().toString("yyyyMMdd"),
            )
        worker = find_worker(
            node,
            patient_id=self.patient_id_edit.text().strip(),
            patient_name=self.patient_name_edit.text().strip(),
            modality=self.modality_combo.currentText().strip().upper(),
            date_from=dates[0],
            date_to=dates[1],
            parent=self,
        )
        worker.succeeded.connect(self._on_found)
        worker.failed.connect(lambda message: self._search_ended(message, error=True))
        worker.cancelled.connect(lambda: self._search_ended("Search cancelled."))
        self._start(worker, f"Searching {node.name}…")

    def _on_found(self, search: StudySearch) -> None:
        studies = list(search.studies)
        self.show_studies(studies)
        series = sum(len(study.series) for study in studies)
        text = (
            f"{plural(len(studies), 'study', 'studies')}, {plural(series, 'series', 'series')} "
            "found. Choose a study, or some of its series, and Retrieve."
            if studies
            else "No study matches."
        )
        if search.cut:  # said in red: the study sought may be among those left out
            text = f"{text} {search.cut_message[:1].upper()}{search.cut_message[1:]}."
        self._search_ended(text, error=search.cut)

    def _search_ended(self, text: str, error: bool = False) -> None:
        self._stopped()
        self._say(text, error)
        self.search_finished.emit(text)

    def show_studies(self, studies: list[StudyFound]) -> None:
        """List ``studies`` (newest first), each with its series."""
        self.studies = sorted(studies, key=lambda s: s.study_date, reverse=True)
        self.tree.clear()
        for study in self.studies:
            modalities = sorted({s.modality for s in study.series if s.modality})
            item = QTreeWidgetItem(
                [
                    patient_text(study),
                    dicom_date_text(study.study_date),
                    ", ".join(modalities),
                    images_text(study.images),
                ]
            )
            item.setData(0, RECORD_ROLE, study)
            item.setToolTip(0, f"{item.text(0)}\nStudy Instance UID {study.study_instance_uid}")
            item.setToolTip(2, item.text(2))
            for series in study.series:
                child = QTreeWidgetItem(
                    [series_text(series), "", series.modality, images_text(series.images)]
                )
                child.setData(0, RECORD_ROLE, series)
                child.setToolTip(
                    0, f"{child.text(0)}\nSeries Instance UID {series.series_instance_uid}"
                )
                item.addChild(child)
            self.tree.addTopLevelItem(item)
            item.setExpanded(len(self.studies) <= 5)
        self._size_modality_column()
        first = self.tree.topLevelItem(0)
        if first is not None:
            self.tree.setCurrentItem(first)  # the whole study, unless series are chosen
        self._update_buttons()

    def _size_modality_column(self) -> None:
        """The Modality column as wide as its title or the widest series' modality."""
        texts = [self.tree.headerItem().text(2)]
        for row in range(self.tree.topLevelItemCount()):
            study = self.tree.topLevelItem(row)
            texts += [study.child(i).text(2) for i in range(study.childCount())]
        metrics = self.tree.fontMetrics()
        padding = 3 * metrics.horizontalAdvance("M")  # the cell's margins, as ResizeToContents
        self.tree.setColumnWidth(2, max(metrics.horizontalAdvance(t) for t in texts) + padding)

    # -- retrieve -------------------------------------------------------------------------
    def chosen(self) -> tuple[StudyFound | None, list[SeriesFound], str]:
        """The study to retrieve and its chosen series (none: the whole study), or None and
        why not."""
        studies: dict[str, StudyFound] = {}
        series: list[SeriesFound] = []
        whole = False
        for item in self.tree.selectedItems():
            parent = item.parent()
            if parent is None:
                study = item.data(0, RECORD_ROLE)
                whole = True
            else:
                study = parent.data(0, RECORD_ROLE)
                series.append(item.data(0, RECORD_ROLE))
            studies[study.study_instance_uid] = study
        if not studies:
            return None, [], "Choose a study or some of its series first"
        if len(studies) > 1:
            return None, [], "Choose one study (or series of one study) at a time"
        return next(iter(studies.values())), [] if whole else series, ""

    def retrieve(self) -> None:
        """Retrieve the chosen study or series into the cache, then open them."""
        node = self.node_chooser.node()
        study, series, problem = self.chosen()
        if node is None or study is None or self.busy:
            if problem:
                self._say(problem, error=True)
            return
        if not self.may_open():
            return
        node = node_with_secret(node, self)
        if node is None:  # the password dialog was cancelled
            return
        remember_node(self.settings, node)
        worker = retrieve_worker(
            self.cache(),
            node,
            study.study_instance_uid,
            [s.series_instance_uid for s in series],
            parent=self,
        )
        what = plural(len(series), "series", "series") if series else "the study"
        expected = sum(s.images or 0 for s in series) if series else (study.images or 0)
        worker.progressed.connect(self._on_progress)
        worker.succeeded.connect(self._on_retrieved)
        worker.failed.connect(lambda message: self._retrieve_ended("failed", message, True))
        worker.cancelled.connect(
            lambda: self._retrieve_ended("cancelled", "Retrieve cancelled: nothing was kept.")
        )
        self._start(worker, f"Retrieving {what} of {patient_text(study)} from {node.name}…")
        # the count the search listed, until the PACS says how many it sends (0: busy)
        self.progress_bar.setRange(0, expected)

    def _on_progress(self, done: int, total: int) -> None:
        if total > 0:
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(min(done, total))
            self.progress_bar.setFormat(f"{done} of {total} images")
        else:
            self.progress_bar.setRange(0, 0)

    def _on_retrieved(self, folders: list[Path]) -> None:
        self._retrieve_ended("done", f"Retrieved into {folders[0] if folders else 'the cache'}.")
        self.accept()
        self.open_folders(folders)

    def _retrieve_ended(self, outcome: str, text: str, error: bool = False) -> None:
        self._stopped()
        self._say(text, error)
        self.retrieve_finished.emit(outcome)

    # -- running --------------------------------------------------------------------------
    def _start(self, worker: PacsWorker, text: str) -> None:
        self.worker = worker
        worker.finished.connect(worker.deleteLater)
        self.progress_bar.setRange(0, 0)
        self.progress_bar.setFormat("%v of %m")
        self._say(text)
        self._update_buttons()
        worker.start()

    def _stopped(self) -> None:
        self.worker = None
        self._update_buttons()

    def cancel(self) -> None:
        """Stop the search or retrieve running (a retrieve keeps nothing)."""
        if self.worker is not None:
            self.worker.cancel()
            self._say("Cancelling…")

    def done(self, result: int) -> None:
        if self.worker is not None:  # closed while working: stop it, unseen
            let_finish(self.worker)
            self.worker = None
        super().done(result)
