"""``seedqa serve`` and ``seedqa chat``: one process, one FastAPI app, served by uvicorn.

The app holds the REST API (``/v1``, ``ui.api``), the OpenAI-compatible
routes (``ui.api_openai``), the OpenAPI schema (``/openapi.json``), its
docs (``/docs``, Swagger UI served from the ``fastapi-offline`` package, so
the page needs no internet), and the Gradio chat mounted at ``/``. All of
them call the same ``SeedqaService``.

FastAPI, uvicorn and Gradio are imported here only, so ``seedqa ask`` and
``seedqa --help`` never pay for them.

Example:
    >>> from seedqa.qa.service import SeedqaService
    >>> from seedqa.ui.server import ServerSettings, serve
    >>> serve(SeedqaService(), ServerSettings(port=8000))  # doctest: +SKIP

"""

from __future__ import annotations

import inspect
import os
import socket
import sys
import webbrowser
from dataclasses import dataclass

os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"  # before gradio is imported: no telemetry

import gradio as gr
import uvicorn
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from seedqa.qa.errors import InvalidSetting
from seedqa.qa.service import SeedqaService
from seedqa.qa.uploads import megabytes
from seedqa.ui import web
from seedqa.ui.api import ApiContext, build_fallback_router, build_rest_router, seedqa_version
from seedqa.ui.api_errors import install_error_handlers
from seedqa.ui.api_middleware import BearerAuth, BodyLimit
from seedqa.ui.api_openai import build_openai_router

#: The environment variable holding the optional API key.
API_KEY_ENV = "SEEDQA_API_KEY"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
#: Idle keep-alive connections are closed after this many seconds: longer than clients keep
#: theirs (httpx 5 s, browsers about 60 s), so a client never sends on a connection the
#: server is closing at that moment.
KEEP_ALIVE_S = 75
_DESCRIPTION = """Ask questions about your documents; every answer cites the exact sentences.

When the server runs with `SEEDQA_API_KEY` set, every `/v1` route needs the header
`Authorization: Bearer <key>`. Errors are JSON: `{"error": {"message", "type", "status"}}`.
The web chat is at `/`.
"""


@dataclass(frozen=True)
class ServerSettings:
    """How ``serve`` listens: address, optional API key and chat login, worker threads.

    ``workers`` is the number of questions answered at once (default: 2 per
    CPU core, ``ui.api.default_workers``); ``open_browser`` opens the chat
    once the server listens.
    """

    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    api_key: str | None = None
    credentials: tuple[str, str] | None = None
    workers: int | None = None
    open_browser: bool = False
    name: str = "serve"


def api_key_from_env() -> str | None:
    """The API key from ``$SEEDQA_API_KEY`` (None when unset or blank)."""
    key = os.environ.get(API_KEY_ENV, "").strip()
    return key or None


def _gradio_mount_options(service: SeedqaService, settings: ServerSettings) -> dict:
    """The web chat's own serving options (``ui.web.launch_options``) that a mount takes."""
    options = web.launch_options(
        settings.host, settings.port, settings.credentials, service.max_upload_bytes
    )
    accepted = inspect.signature(gr.mount_gradio_app).parameters
    mount = {key: value for key, value in options.items() if key in accepted}
    mount.pop("server_name", None)
    mount.pop("server_port", None)
    return mount


def build_server_app(service: SeedqaService, settings: ServerSettings | None = None) -> FastAPI:
    """Return the app: the /v1 API, OpenAPI and offline docs, and the chat at ``/``."""
    settings = settings or ServerSettings()
    app = FastAPIOffline(
        title="seedqa",
        version=seedqa_version(),
        description=_DESCRIPTION,
        static_url="/docs-assets",
        swagger_ui_parameters={"validatorUrl": None, "tryItOutEnabled": True},
    )
    install_error_handlers(app)
    context = ApiContext(service, settings.workers)
    routers = (build_rest_router(context), build_openai_router(context))
    for router in routers:
        app.include_router(router)
    app.include_router(build_fallback_router(*routers))
    app.add_middleware(
        BodyLimit, upload_limit=service.max_upload_bytes,
        upload_limit_text=megabytes(service.max_upload_bytes),
    )  # fmt: skip
    if settings.api_key:  # added last, so it runs first: no key, no upload read
        app.add_middleware(BearerAuth, api_key=settings.api_key)
    chat = web.build_app(service)
    gr.mount_gradio_app(app, chat, path="/", **_gradio_mount_options(service, settings))
    return app


def _listen(host: str, port: int) -> socket.socket:
    """Bind ``host:port`` (port 0: any free port); raise ``InvalidSetting`` when it cannot."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        raise InvalidSetting(
            f"cannot listen on {host}:{port} ({error.strerror or error}); "
            "choose another with --port or --host"
        ) from error
    return sock


def _base_url(sock: socket.socket, host: str) -> str:
    port = sock.getsockname()[1]
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/"


class _Server(uvicorn.Server):
    """uvicorn's server, printing the addresses once it listens."""

    def __init__(self, config: uvicorn.Config, banner: str, url: str, open_browser: bool):
        super().__init__(config)
        self._banner = banner
        self._url = url
        self._open_browser = open_browser

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start serving, then print where (and open the browser when asked)."""
        await super().startup(sockets=sockets)
        if self.started:
            print(self._banner, flush=True)
            if self._open_browser:
                webbrowser.open(self._url)


def serve(service: SeedqaService, settings: ServerSettings) -> None:
    """Serve the API and the chat over ``service`` until interrupted (Ctrl+C or SIGTERM).

    The address is taken first (a busy port fails at once); then the index
    is loaded (or, at the default location, built from the seed corpus) and
    the model warmed up before the server answers.
    """
    sock = _listen(settings.host, settings.port)
    try:
        service.ensure_index()
        print(f"Loading the index at {service.index_dir}…", file=sys.stderr, flush=True)
        documents = len(service.documents())
        service.search("warm up", k=1)
        app = build_server_app(service, settings)
    except BaseException:
        sock.close()
        raise
    url = _base_url(sock, settings.host)
    indexed = f"{documents} document{'s' if documents != 1 else ''} indexed"
    login = " (chat login required)" if settings.credentials else ""
    key = "; API key required" if settings.api_key else ""
    banner = (
        f"seedqa {settings.name}: {indexed}; open {url}{login} for the chat, "
        f"{url}v1 for the API{key}, {url}docs for its docs (Ctrl+C to stop)"
    )
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, timeout_graceful_shutdown=3,
        server_header=False, timeout_keep_alive=KEEP_ALIVE_S,
    )  # fmt: skip
    _Server(config, banner, url, settings.open_browser).run(sockets=[sock])
