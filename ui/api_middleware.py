"""The API's ASGI middleware: the optional bearer key and the request size limits.

Both act before a request body is read, so a request without the key, or
one larger than its limit, costs the server nothing. Both reply with the
API's JSON error body.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from seedqa.ui.api_errors import error_response, upload_too_large

API_PREFIX = "/v1"
#: The route files are uploaded to.
UPLOADS_ROUTE = API_PREFIX + "/documents"
#: Largest body of any other /v1 request (a question with a long conversation fits easily).
JSON_BODY_LIMIT = 4 * 1024 * 1024
#: Multipart overhead allowed on top of the upload limit in one request.
MULTIPART_SLACK_BYTES = 64 * 1024


def is_api_path(path: str) -> bool:
    """True for the paths of the versioned API (``/v1`` and below)."""
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


class BearerAuth:
    """ASGI middleware: with an API key set, every /v1 request needs ``Authorization: Bearer KEY``.

    It answers 401 before the request body is read, so an unauthorised
    upload costs nothing.
    """

    def __init__(self, app: ASGIApp, api_key: str) -> None:
        self.app = app
        self._key = api_key.encode("utf-8")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Check the token of /v1 requests, pass everything else through."""
        if scope["type"] == "http" and is_api_path(scope.get("path", "")):
            scheme, _, token = Headers(scope=scope).get("authorization", "").partition(" ")
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                token.strip().encode("utf-8"), self._key
            ):
                message = (
                    "a valid API key is required: send the header "
                    "`Authorization: Bearer <key>` with the server's SEEDQA_API_KEY"
                )
                response = error_response(
                    401, message, "Unauthorized", {"WWW-Authenticate": "Bearer"}
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


class BodyLimit:
    """ASGI middleware: refuse /v1 requests whose body is over their limit (413).

    Uploads may carry ``upload_limit`` bytes, every other request
    ``JSON_BODY_LIMIT``. A declared ``Content-Length`` over the limit is
    refused before anything is read; a streamed body stops being read as
    soon as it passes the limit.
    """

    def __init__(self, app: ASGIApp, upload_limit: int, upload_limit_text: str) -> None:
        self.app = app
        self.upload_limit = upload_limit + MULTIPART_SLACK_BYTES
        self.upload_message = upload_too_large(upload_limit_text)
        self.json_message = (
            f"the request body is larger than {JSON_BODY_LIMIT // (1024 * 1024)} MB; "
            "send a shorter question or conversation"
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass non-API requests through; count the bytes of API requests."""
        if scope["type"] != "http" or not is_api_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        if scope["method"] == "POST" and scope["path"] == UPLOADS_ROUTE:
            limit, text = self.upload_limit, self.upload_message
        else:
            limit, text = JSON_BODY_LIMIT, self.json_message
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await error_response(413, text, "RequestTooLarge")(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise HTTPException(413, text)
            return message

        await self.app(scope, counting_receive, send)
