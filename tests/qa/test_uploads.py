"""qa.uploads: safe names and the checks an upload passes before anything is copied."""

from __future__ import annotations

import pytest

from seedqa.qa.errors import UnsupportedFileType, UploadRejected, UploadTooLarge
from seedqa.qa.uploads import check_upload, free_target, safe_filename, supported_suffixes


def test_safe_filename_keeps_only_a_safe_base_name():
    assert safe_filename("/tmp/gradio/abc/report.PDF") == "report.pdf"
    assert safe_filename("../../etc/passwd.txt") == "passwd.txt"
    assert safe_filename("C:\\Users\\me\\notes.md") == "notes.md"
    assert safe_filename('<img src=x onerror="a()">.html') == "img src_x onerror_a().html"
    assert safe_filename(".hidden.txt") == "hidden.txt"
    assert safe_filename("....txt") == "document.txt"
    assert "/" not in safe_filename("a/b/../c<d>.txt")


def test_check_upload_accepts_a_good_file(tmp_path):
    good = tmp_path / "good notes.txt"
    good.write_text("The zorblax reactor produces 42 megawatts of power.\n", encoding="utf-8")
    assert check_upload(good) == "good notes.txt"
    assert check_upload(good, name="../Renamed.TXT") == "Renamed.txt"


def test_check_upload_rejects_type_size_and_unreadable_files(tmp_path):
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ\x00\x00")
    with pytest.raises(UnsupportedFileType, match=r"tool\.exe: file type \.exe is not supported"):
        check_upload(exe)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(UploadRejected, match="empty.txt: empty file"):
        check_upload(empty)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really a pdf")
    with pytest.raises(UploadRejected, match="broken.pdf: "):
        check_upload(broken)
    big = tmp_path / "big.txt"
    big.write_text("x" * 11, encoding="utf-8")
    with pytest.raises(UploadTooLarge, match=r"big\.txt is 0\.0 MB; the limit is"):
        check_upload(big, max_bytes=10)


def test_the_rejection_lists_every_supported_suffix(tmp_path):
    odd = tmp_path / "data.xyz"
    odd.write_text("text", encoding="utf-8")
    with pytest.raises(UploadRejected) as caught:
        check_upload(odd)
    for suffix in supported_suffixes():
        assert suffix in str(caught.value)


def test_free_target_suffixes_name_collisions(tmp_path):
    (tmp_path / "a.txt").write_text("1")
    (tmp_path / "a-2.txt").write_text("2")
    assert free_target(tmp_path, "a.txt").name == "a-3.txt"
    assert free_target(tmp_path, "b.txt").name == "b.txt"
