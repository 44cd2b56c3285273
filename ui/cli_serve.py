"""``seedqa serve`` (the HTTP API and the chat) and ``seedqa chat`` (the same, opening the browser).

Both start one server (``ui.server``) over one ``SeedqaService``: the REST
API under ``/v1``, its docs at ``/docs`` and the web chat at ``/``. ``chat``
listens on port 7860 and opens the chat in the browser when there is a
display; ``serve`` listens on port 8000. The server modules (FastAPI,
uvicorn, Gradio) are imported only when one of these commands runs.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from seedqa.ui.args import add_answerer_option, say, whole_number

CHAT_PORT = 7860
SERVE_PORT = 8000
#: Default upload limit of the server, per file and per request.
DEFAULT_MAX_UPLOAD_MB = 50


def display_available() -> bool:
    """True when a browser window can be opened (on Linux: a display is set)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def run_server(args: argparse.Namespace, name: str, open_browser: bool) -> int:
    """Start the server described by ``args`` and block until it is stopped."""
    from seedqa.qa.service import SeedqaService
    from seedqa.ui.server import ServerSettings, api_key_from_env, serve
    from seedqa.ui.web import parse_auth

    credentials = parse_auth(args.auth)  # a malformed --auth fails before any indexing work
    service = SeedqaService(
        args.index_dir,
        on_status=say,
        progress=True,
        max_upload_bytes=args.max_upload_mb * 1024 * 1024,
        answerer=args.answerer,
    )
    settings = ServerSettings(
        host=args.host,
        port=args.port,
        api_key=api_key_from_env(),
        credentials=credentials,
        workers=args.threads,
        open_browser=open_browser,
        name=name,
    )
    serve(service, settings)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run ``seedqa serve``: the REST API, its docs and the chat, on this machine."""
    return run_server(args, "serve", open_browser=False)


def cmd_chat(args: argparse.Namespace) -> int:
    """Run ``seedqa chat``: the same server, opening the chat in the browser."""
    return run_server(args, "chat", open_browser=not args.no_browser and display_available())


def _add_server_options(parser: argparse.ArgumentParser, port: int) -> None:
    from seedqa.qa.service import DEFAULT_INDEX_DIR, INDEX_DIR_ENV

    parser.add_argument(
        "--index-dir",
        type=Path,
        default=None,
        help=f"index directory (default: ${INDEX_DIR_ENV} or {DEFAULT_INDEX_DIR})",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=whole_number(0), default=port, help=f"port ({port})")
    parser.add_argument("--auth", metavar="USER:PASSWORD", help="require this login for the chat")
    parser.add_argument(
        "--max-upload-mb",
        type=whole_number(1),
        default=DEFAULT_MAX_UPLOAD_MB,
        metavar="MB",
        help=f"largest upload accepted, per file and per request ({DEFAULT_MAX_UPLOAD_MB})",
    )
    parser.add_argument(
        "--threads",
        type=whole_number(1),
        default=None,
        metavar="N",
        help="questions answered at once (default: 2 per CPU core)",
    )
    add_answerer_option(parser)


def add_server_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Register ``seedqa chat`` and ``seedqa serve``."""
    chat = subparsers.add_parser("chat", help="open the web chat (and the API) on this machine")
    _add_server_options(chat, CHAT_PORT)
    chat.add_argument("--no-browser", action="store_true", help="do not open a browser")
    chat.set_defaults(handler=cmd_chat)

    serve = subparsers.add_parser(
        "serve", help="serve the REST API, an OpenAI-compatible API and the chat"
    )
    _add_server_options(serve, SERVE_PORT)
    serve.set_defaults(handler=cmd_serve)
