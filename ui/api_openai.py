"""OpenAI-compatible routes: ``POST /v1/chat/completions`` and ``GET /v1/models``.

Chat clients that speak OpenAI's protocol (the ``openai`` package, Open
WebUI, LangChain...) use seedqa as the model ``seedqa``. The last user
message is the question and the messages before it the conversation. The
reply is an assistant message whose text carries the answer's [n] markers
and a list of its sources, and whose extra ``citations`` field holds the
citation records of ``seedqa ask --json``. With ``stream: true`` the reply
comes as server-sent events in OpenAI's chunk format, ending with
``data: [DONE]``; the last chunk's delta carries the ``citations``.

Example:
    >>> from openai import OpenAI
    >>> client = OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="unused")
    >>> reply = client.chat.completions.create(
    ...     model="seedqa", messages=[{"role": "user", "content": "How much will Xiaomi invest?"}]
    ... )  # doctest: +SKIP
    >>> reply.choices[0].message.content, reply.choices[0].message.citations  # doctest: +SKIP

"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Security
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.exceptions import HTTPException

from seedqa.qa.errors import InvalidQuestion
from seedqa.ui.api import GENERATION_HEADER, ApiContext, bearer_scheme
from seedqa.ui.api_errors import error_responses
from seedqa.ui.api_middleware import API_PREFIX
from seedqa.ui.api_schema import ChatCompletionOut, ChatCompletionRequest, ModelOut, ModelsOut

if TYPE_CHECKING:
    from seedqa.qa.answer import Answer

#: The model name clients ask for.
MODEL_ID = "seedqa"
_PIECE = re.compile(r"\S+\s*")
_STREAM_DOC = {
    "description": "With `stream: true`: server-sent events, one `chat.completion.chunk` "
    "per `data:` line, ending with `data: [DONE]`",
    "content": {"text/event-stream": {"schema": {"type": "string"}}},
}


def reply_text(answer: Answer) -> str:
    """The assistant's text: the answer with its [n] markers, then one line per source."""
    if not answer.citations:
        return answer.answer
    lines = []
    for citation in answer.citations:
        where = f"{citation.doc_id}, chars {citation.start}-{citation.end}"
        if citation.page:
            where += f", page {citation.page}"
        lines.append(f"- [{citation.n}] {citation.title} ({where})")
    return answer.answer + "\n\nSources:\n" + "\n".join(lines)


def split_conversation(messages: list[Any]) -> tuple[str, list[dict[str, str]]]:
    """Return the question (the last message, from the user) and the messages before it.

    Raises ``InvalidQuestion`` when the last message is not the user's.
    """
    if not messages or messages[-1].role != "user":
        raise InvalidQuestion(
            'the last message must be the user\'s question (role "user"); add it to messages'
        )
    history = [{"role": m.role, "content": m.text()} for m in messages[:-1]]
    return messages[-1].text(), history


def _check_model(model: str) -> None:
    if model != MODEL_ID:
        raise HTTPException(
            404, f"model {model!r} does not exist; use {MODEL_ID!r} (see GET /v1/models)"
        )


def _completion(answer: Answer, completion_id: str, created: int) -> dict[str, Any]:
    message = {
        "role": "assistant",
        "content": reply_text(answer),
        "citations": [c.to_json() for c in answer.citations],
        "refusal": None,
    }
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": MODEL_ID,
        "system_fingerprint": answer.generation,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}],
    }


def stream_events(answer: Answer, completion_id: str, created: int) -> Iterator[str]:
    """The answer as server-sent events: role, text pieces, citations and stop, then [DONE]."""

    def event(delta: dict[str, Any], finish: str | None = None) -> str:
        chunk = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": MODEL_ID,
            "system_fingerprint": answer.generation,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for piece in _PIECE.findall(reply_text(answer)):
        yield event({"content": piece})
    yield event({"citations": [c.to_json() for c in answer.citations]}, "stop")
    yield "data: [DONE]\n\n"


def build_openai_router(context: ApiContext) -> APIRouter:
    """The OpenAI-compatible routes over ``context.service``."""
    service = context.service
    router = APIRouter(prefix=API_PREFIX, dependencies=[Security(bearer_scheme)], tags=["openai"])
    created_at = int(time.time())
    model = {"id": MODEL_ID, "object": "model", "created": created_at, "owned_by": "seedqa"}

    @router.post(
        "/chat/completions", response_model=ChatCompletionOut,
        responses={**error_responses(400, 404, 422, 503), 200: _STREAM_DOC},
    )  # fmt: skip
    async def chat_completions(body: ChatCompletionRequest) -> Any:
        """Answer the last user message as OpenAI's chat completion (`stream` supported).

        The message text carries [n] markers and a source list; its extra
        `citations` field holds the cited sentences. `k` and `mode` are
        seedqa's retrieval settings; other OpenAI fields are ignored.
        """
        _check_model(body.model)
        question, history = split_conversation(body.messages)
        answer = await context.read(service.ask, question, history, body.k, body.mode)
        completion_id = f"chatcmpl-{uuid.uuid4().hex}"
        created = int(time.time())
        headers = {GENERATION_HEADER: answer.generation}
        if body.stream:
            headers["Cache-Control"] = "no-cache"
            events = stream_events(answer, completion_id, created)
            return StreamingResponse(events, media_type="text/event-stream", headers=headers)
        return JSONResponse(_completion(answer, completion_id, created), headers=headers)

    @router.get("/models", response_model=ModelsOut, responses=error_responses())
    async def list_models() -> dict[str, Any]:
        """The one model this server offers, `seedqa` (OpenAI's model list)."""
        return {"object": "list", "data": [model]}

    @router.get("/models/{model_id}", response_model=ModelOut, responses=error_responses(404))
    async def get_model(model_id: str) -> dict[str, Any]:
        """Describe the model `seedqa`."""
        _check_model(model_id)
        return model

    return router
