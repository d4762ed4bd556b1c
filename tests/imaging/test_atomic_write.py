"""Files and folders written whole or not at all (imaging.atomic_write)."""

from __future__ import annotations

import os
import stat

import pytest

from imaging.atomic_write import (
    atomic_path,
    save_atomic,
    staged_folder,
    write_atomic,
    write_atomic_together,
)


class WriterFailed(Exception):
    pass


def test_text_and_bytes_land_whole_and_leave_no_temporary_file(tmp_path):
    target = tmp_path / "case.spineplan.json"
    assert write_atomic(target, "épée\n") == target
    assert target.read_bytes() == "épée\n".encode()
    write_atomic(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["case.spineplan.json"]


def test_a_failing_writer_leaves_no_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "rtdose.dcm"

    def half_then_fail(path):
        path.write_bytes(b"half a file")
        raise WriterFailed

    with pytest.raises(WriterFailed):
        save_atomic(target, half_then_fail)
    assert list(tmp_path.iterdir()) == []


def test_an_existing_file_is_replaced_only_on_success(tmp_path):
    target = tmp_path / "field.json"
    target.write_text("old")
    os.chmod(target, 0o640)
    with pytest.raises(WriterFailed), atomic_path(target) as temporary:
        temporary.write_text("new")
        raise WriterFailed
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["field.json"]
    write_atomic(target, "new")
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640  # the replaced file's permissions


def test_a_new_file_gets_the_permissions_of_a_plain_open(tmp_path):
    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "new.txt", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o644


def test_library_writers_see_the_target_suffix(tmp_path):
    seen = []
    save_atomic(tmp_path / "mask.nrrd", lambda p: (seen.append(p), p.write_text("m")))
    save_atomic(tmp_path / "mask.nii.gz", lambda p: (seen.append(p), p.write_text("m")))
    assert seen[0].name.endswith(".nrrd") and seen[0].parent == tmp_path
    assert seen[1].name.endswith(".nii.gz")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mask.nii.gz", "mask.nrrd"]


def test_files_written_together_replace_nothing_when_one_fails(tmp_path):
    json_file, text_file = tmp_path / "a.json", tmp_path / "a.txt"
    json_file.write_text("old json")
    text_file.write_text("old text")

    class Exploding(str):
        def encode(self, *args, **kwargs):
            raise WriterFailed

    with pytest.raises(WriterFailed):
        write_atomic_together({json_file: "new json", text_file: Exploding("new text")})
    assert (json_file.read_text(), text_file.read_text()) == ("old json", "old text")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "a.txt"]
    assert write_atomic_together({json_file: "J", text_file: b"T"}) == [json_file, text_file]
    assert (json_file.read_text(), text_file.read_text()) == ("J", "T")


def test_a_staged_folder_appears_whole_or_not_at_all(tmp_path):
    destination = tmp_path / "out"
    with pytest.raises(WriterFailed), staged_folder(destination) as staging:
        (staging / "IM0001.dcm").write_text("x")
        raise WriterFailed
    assert list(tmp_path.iterdir()) == []
    destination.mkdir()  # an empty folder of the user's is replaced
    with staged_folder(destination) as staging:
        assert staging.parent == tmp_path and staging != destination
        (staging / "IM0001.dcm").write_text("x")
        assert not (destination / "IM0001.dcm").exists()
    assert (destination / "IM0001.dcm").read_text() == "x"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(destination.stat().st_mode) == 0o777 & ~umask


def test_a_merged_staged_folder_replaces_its_files_and_keeps_the_others(tmp_path):
    destination = tmp_path / "plan"
    destination.mkdir()
    (destination / "field.json").write_text("old")
    (destination / "notes.txt").write_text("mine")
    with pytest.raises(WriterFailed), staged_folder(destination, merge=True) as staging:
        (staging / "field.json").write_text("new")
        raise WriterFailed
    assert (destination / "field.json").read_text() == "old"
    with staged_folder(destination, merge=True) as staging:
        (staging / "field.json").write_text("new")
        (staging / "rtdose.dcm").write_text("dose")
    assert sorted(p.name for p in destination.iterdir()) == [
        "field.json",
        "notes.txt",
        "rtdose.dcm",
    ]
    assert (destination / "field.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["plan"]


def test_an_unwritable_folder_raises_oserror_before_writing(tmp_path):
    with pytest.raises(OSError):
        write_atomic(tmp_path / "missing" / "file.txt", "x")
