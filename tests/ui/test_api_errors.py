"""ui.api_errors: which status each library error gets, and the one-line JSON body."""

from __future__ import annotations

import json

import pytest

from seedqa.qa import errors
from seedqa.ui.api_errors import error_response, status_of


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (errors.InvalidQuestion("the question is empty"), 400),
        (errors.InvalidSetting("k=0 is not valid"), 400),
        (errors.DocumentNotFound("no document 'x'"), 404),
        (errors.UploadTooLarge("big.txt is 2 MB"), 413),
        (errors.UnsupportedFileType("a.exe: file type .exe"), 415),
        (errors.UploadRejected("empty.txt: empty file"), 422),
        (errors.LoadError("a.txt", "binary"), 422),
        (errors.NothingToIndex("nothing could be indexed"), 409),
        (errors.IndexNotFound("no index"), 503),
        (errors.IndexCorrupt("cannot read"), 503),
        (errors.IndexMismatch("other model"), 503),
        (errors.IndexNotWritable("read-only"), 503),
        (errors.ModelNotAvailable("cannot load"), 503),
        (errors.StoreUnavailable("cannot reach Milvus at http://h:19530"), 503),
        (errors.SeedqaError("anything else"), 400),
    ],
)
def test_each_library_error_has_its_status(error, status):
    assert status_of(error) == status


def test_error_body_is_one_line_json():
    response = error_response(422, "first line\nsecond   line", "Kind", {"X-Test": "1"})
    assert response.status_code == 422 and response.headers["x-test"] == "1"
    body = json.loads(response.body)
    assert body == {"error": {"message": "first line second line", "type": "Kind", "status": 422}}
