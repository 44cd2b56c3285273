"""Errors of the HTTP API: every failure is JSON with the right status and a one-line message.

The body is ``{"error": {"message": ..., "type": ..., "status": ...}}``, the
shape OpenAI clients read too. Library errors (``SeedqaError``) keep their
one-line message and get the status their class stands for; request bodies
that are not JSON get 400, bodies of the wrong shape 422, and anything
unexpected 500 with a short message (the traceback goes to the server log,
never to the client).
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException

from seedqa.qa.errors import (
    DocumentNotFound,
    IndexCorrupt,
    IndexMismatch,
    IndexNotFound,
    IndexNotWritable,
    LoadError,
    ModelNotAvailable,
    NothingToIndex,
    SeedqaError,
    StoreUnavailable,
    UnsupportedFileType,
    UploadRejected,
    UploadTooLarge,
)

log = logging.getLogger("seedqa.api")

#: Status of each library error, most specific class first.
ERROR_STATUS: tuple[tuple[type[SeedqaError], int], ...] = (
    (DocumentNotFound, 404),
    (UploadTooLarge, 413),
    (UnsupportedFileType, 415),
    (UploadRejected, 422),
    (LoadError, 422),
    (NothingToIndex, 409),
    (IndexNotFound, 503),
    (IndexCorrupt, 503),
    (IndexMismatch, 503),
    (IndexNotWritable, 503),
    (ModelNotAvailable, 503),
    (StoreUnavailable, 503),
    (SeedqaError, 400),
)
#: The names pydantic gives the members of a union in an error's location.
_UNION_TAGS = {"int", "float", "str", "bool", "list", "dict", "none", "function-after"}
_HTTP_MESSAGES = {
    401: "a valid API key is required: send the header `Authorization: Bearer $SEEDQA_API_KEY`",
    404: "no such route; the API is listed at /docs",
    405: "method not allowed on this route; the API is listed at /docs",
}


class ErrorDetail(BaseModel):
    """What went wrong, in one line, and how to fix it."""

    message: str
    type: str
    status: int


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


#: The ``responses`` entry of a route for each error status it can give.
def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """Document error ``statuses`` (and 401, 500) of a route in the OpenAPI schema."""
    every = sorted({*statuses, 401, 500})
    return {status: {"model": ErrorBody, "description": _describe(status)} for status in every}


def _describe(status: int) -> str:
    return {
        400: "The request is not valid (the message says which value and why)",
        401: "The API key is missing or wrong",
        404: "Not found",
        409: "The change would leave the index empty",
        413: "The upload is larger than the limit",
        415: "The file type cannot be indexed",
        422: "The request or file does not have the expected form",
        500: "An unexpected server error",
        503: "The index, its vector store or the model is not available",
    }.get(status, "Error")


def error_response(
    status: int, message: str, kind: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """A JSON error response with a one-line ``message``."""
    line = " ".join(str(message).split()) or "error"
    body = {"error": {"message": line, "type": kind, "status": status}}
    return JSONResponse(body, status_code=status, headers=headers)


def upload_too_large(limit_text: str) -> str:
    """The message of an upload request over the limit."""
    return (
        f"the upload is larger than the limit of {limit_text} per request; "
        "send smaller files, or fewer in one request (the server's --max-upload-mb sets it)"
    )


def status_of(error: SeedqaError) -> int:
    """The HTTP status that stands for a library error."""
    return next(status for cls, status in ERROR_STATUS if isinstance(error, cls))


def _field_path(location: tuple) -> str:
    """The request field an error is about, e.g. ``history.0``.

    Keeps field names and list indexes, and stops at the first union member
    or model name (``("body", "history", 0, "HistoryTurn", "question")``).
    """
    parts = []
    for part in location[1:] if location[:1] == ("body",) else location:
        if isinstance(part, str) and (part in _UNION_TAGS or part[:1].isupper() or "[" in part):
            break
        parts.append(str(part))
    return ".".join(parts) or "body"


def _validation_message(error: RequestValidationError) -> tuple[int, str]:
    """Status and one line for a request FastAPI could not parse into the route's model."""
    problems = error.errors()
    if any(p.get("type") == "json_invalid" for p in problems):
        return 400, "the request body is not valid JSON; send a JSON object"
    first: dict[str, str] = {}
    for problem in problems:
        first.setdefault(_field_path(tuple(problem.get("loc", ()))), problem.get("msg", "invalid"))
    parts = [f"{where}: {message}" for where, message in list(first.items())[:3]]
    more = f" (and {len(first) - 3} more)" if len(first) > 3 else ""
    return 422, "; ".join(parts) + more


async def _seedqa_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, SeedqaError)
    return error_response(status_of(error), str(error), type(error).__name__)


async def _validation_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    status, message = _validation_message(error)
    return error_response(status, message, "InvalidRequest")


async def _http_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    status = error.status_code
    message = str(error.detail)
    if message == HTTPStatus(status).phrase:  # no message of our own: say what to do
        message = _HTTP_MESSAGES.get(status, message)
    return error_response(status, message, "HTTPError", getattr(error, "headers", None))


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return error_response(
        500, f"internal error ({type(error).__name__}); the server log has the details", "Internal"
    )


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of ``app``'s own routes a JSON body with a one-line message."""
    app.add_exception_handler(SeedqaError, _seedqa_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
