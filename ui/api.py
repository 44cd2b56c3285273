"""The REST API under ``/v1``: ask, search, documents, health. Each route calls one service method.

Routes run the service in worker threads: questions and searches in a pool
sized to the CPU cores (``ApiContext.reads``), changes (uploads, removals)
one at a time in their own lane, so a re-index never takes a question's
worker. Every answer is computed on one index generation, which the
``X-Seedqa-Generation`` response header names.

Example:
    curl -s http://127.0.0.1:8000/v1/ask -H 'Content-Type: application/json' \
         -d '{"question": "How much will Xiaomi invest in 5G, AI and IoT?"}'

"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

import anyio
from fastapi import APIRouter, File, Request, Security, UploadFile
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBearer
from starlette.exceptions import HTTPException
from starlette.routing import Match

from seedqa.qa.service import SeedqaService
from seedqa.ui.api_errors import error_responses
from seedqa.ui.api_middleware import API_PREFIX
from seedqa.ui.api_schema import (
    AnswerOut,
    AskRequest,
    ChangeOut,
    DocumentsOut,
    HealthOut,
    SearchOut,
    SearchRequest,
)

#: The response header naming the index generation that answered.
GENERATION_HEADER = "X-Seedqa-Generation"
#: Worker threads per CPU core for questions (measured with eval/bench_serve.py).
THREADS_PER_CORE = 2

T = TypeVar("T")

#: Documents the optional bearer token in /openapi.json; ``BearerAuth`` enforces it.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="Needed on every /v1 route when the server runs with SEEDQA_API_KEY set.",
)


def default_workers() -> int:
    """Questions answered at once by default: ``THREADS_PER_CORE`` per CPU core."""
    return THREADS_PER_CORE * (os.cpu_count() or 1)


class ApiContext:
    """The service behind the API and the thread lanes its calls run in.

    ``workers`` threads answer questions (default ``default_workers()``).
    More threads than cores pay off because a question spends most of its
    time waiting for the embedding model, and the questions waiting
    together are embedded in one call (``index.batching``).
    """

    def __init__(self, service: SeedqaService, workers: int | None = None) -> None:
        self.service = service
        self.workers = max(1, workers or default_workers())
        self.reads = anyio.CapacityLimiter(self.workers)
        self.changes = anyio.CapacityLimiter(1)

    async def read(self, function: Callable[..., T], *args: Any) -> T:
        """Run a question, search or listing in the read pool."""
        return await anyio.to_thread.run_sync(partial(function, *args), limiter=self.reads)

    async def change(self, function: Callable[..., T], *args: Any) -> T:
        """Run an upload or removal in the change lane (one at a time)."""
        return await anyio.to_thread.run_sync(partial(function, *args), limiter=self.changes)


def _save_uploads(files: list[UploadFile], folder: Path) -> list[tuple[str, str]]:
    """Write each upload to ``folder`` under a neutral name; return ``(path, original name)``."""
    pairs = []
    for number, upload in enumerate(files):
        target = folder / f"upload-{number}"
        with target.open("wb") as out:
            upload.file.seek(0)
            shutil.copyfileobj(upload.file, out)
        pairs.append((str(target), upload.filename or ""))
    return pairs


def _add_uploads(service: SeedqaService, files: list[UploadFile]) -> dict[str, Any]:
    """Stage the uploads in a private folder, then let the service check, copy and index them."""
    with tempfile.TemporaryDirectory(prefix="seedqa-api-") as scratch:
        report = service.add_uploads(_save_uploads(files, Path(scratch)))
    return _change_json(service, report.to_json())


def _remove(service: SeedqaService, doc_id: str) -> dict[str, Any]:
    return _change_json(service, service.remove(doc_id).to_json())


def _change_json(service: SeedqaService, report: dict[str, Any]) -> dict[str, Any]:
    return {**report, "generation": service.status().generation}


def seedqa_version() -> str:
    """The installed seedqa version."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("seedqa")
    except PackageNotFoundError:
        return "0+unknown"


def _health(service: SeedqaService, version: str) -> dict[str, Any]:
    return {"status": "ok", "version": version, **service.status().to_json()}


def build_rest_router(context: ApiContext) -> APIRouter:
    """The /v1 routes over ``context.service``: ask, search, documents, health."""
    service = context.service
    router = APIRouter(prefix=API_PREFIX, dependencies=[Security(bearer_scheme)])
    version = seedqa_version()

    @router.post(
        "/ask", response_model=AnswerOut, responses=error_responses(400, 422, 503), tags=["ask"]
    )
    async def ask(body: AskRequest) -> JSONResponse:
        """Answer a question with cited sentences (the `seedqa ask --json` schema).

        `history` holds the conversation so far; a follow-up ("and over what
        period?") is resolved against it. The `X-Seedqa-Generation` header
        names the index generation that answered.
        """
        answer = await context.read(
            service.ask, body.question, body.history_items(), body.k, body.mode
        )
        return JSONResponse(answer.to_json(), headers={GENERATION_HEADER: answer.generation})

    @router.post(
        "/search", response_model=SearchOut, responses=error_responses(400, 422, 503),
        tags=["ask"],
    )  # fmt: skip
    async def search(body: SearchRequest) -> JSONResponse:
        """Return the passages that best match a query (no answer)."""
        hits = await context.read(service.search, body.query, body.k, body.mode)
        mode = body.mode or service.mode
        hits_json = [hit.to_json() for hit in hits]
        return JSONResponse({"query": body.query, "mode": mode, "hits": hits_json})

    @router.get(
        "/documents", response_model=DocumentsOut, responses=error_responses(503),
        tags=["documents"],
    )  # fmt: skip
    async def list_documents() -> JSONResponse:
        """List the indexed documents, sorted by id."""
        documents = await context.read(service.documents)
        return JSONResponse({"documents": [d.to_json() for d in documents]})

    @router.post(
        "/documents", status_code=201, response_model=ChangeOut, tags=["documents"],
        responses=error_responses(409, 413, 415, 422, 503),
    )  # fmt: skip
    async def upload_documents(files: list[UploadFile] = File(...)) -> JSONResponse:  # noqa: B008
        """Upload files (multipart field `files`) and index them incrementally.

        Every file is checked first (type, size, readable); one bad file
        rejects the request and changes nothing. Files are stored in the
        index's `uploads/` folder under sanitised names.
        """
        report = await context.change(_add_uploads, service, files)
        headers = {GENERATION_HEADER: report["generation"]}
        return JSONResponse(report, status_code=201, headers=headers)

    @router.delete(
        "/documents/{doc_id:path}", response_model=ChangeOut, tags=["documents"],
        responses=error_responses(404, 409, 503),
    )  # fmt: skip
    async def delete_document(doc_id: str) -> JSONResponse:
        """Remove a document (an uploaded file is deleted too). Ids contain slashes."""
        report = await context.change(_remove, service, doc_id)
        return JSONResponse(report, headers={GENERATION_HEADER: report["generation"]})

    @router.get(
        "/health", response_model=HealthOut, responses=error_responses(503), tags=["health"]
    )
    async def health() -> JSONResponse:
        """The live index: generation, document and chunk counts, model."""
        status = await context.read(_health, service, version)
        return JSONResponse(status, headers={GENERATION_HEADER: status["generation"]})

    return router


def build_fallback_router(*routers: APIRouter) -> APIRouter:
    """A last /v1 route: JSON 404 for unknown paths, 405 for a wrong method on a known one."""
    fallback = APIRouter()
    routes = [route for router in routers for route in router.routes]

    @fallback.api_route(
        API_PREFIX + "/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        include_in_schema=False,
    )
    async def not_found(request: Request) -> None:
        scope = {**request.scope, "method": ""}
        allowed = {
            method
            for route in routes
            if route.matches(scope)[0] is not Match.NONE
            for method in getattr(route, "methods", ())
        }
        if allowed:
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})
        raise HTTPException(404)

    return fallback
