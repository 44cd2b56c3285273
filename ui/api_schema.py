"""The HTTP API's request and response bodies, as pydantic models (they make /openapi.json).

Requests declare only the JSON types. Values (an empty question, ``k`` out
of range, an unknown mode) are checked by the service's one validation
function, whose one-line message the API returns with status 400. Responses
mirror the records' ``to_json`` (the ``seedqa ask --json`` schema); routes
return them as they are and these models document them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, StrictInt

from seedqa.qa.inputs import MAX_K
from seedqa.qa.modes import MODES

_K = f"passages to retrieve, a whole number from 1 to {MAX_K} (default 5)"
_MODE = f"retrieval mode: {', '.join(MODES)} (default hybrid)"


class HistoryTurn(BaseModel):
    """An earlier turn of the conversation, as a question and its answer."""

    question: str
    answer: str = ""


class TextPart(BaseModel):
    """A part of an OpenAI-style message content list (only text parts are read)."""

    model_config = ConfigDict(extra="allow")

    type: str = "text"
    text: str = ""


class ChatMessage(BaseModel):
    """A chat message as OpenAI clients send it."""

    model_config = ConfigDict(extra="allow")

    role: str = Field(description="system, user, assistant, tool or developer")
    content: str | list[TextPart] | None = None

    def text(self) -> str:
        """The message's text (text parts joined by newlines)."""
        if isinstance(self.content, list):
            return "\n".join(part.text for part in self.content if part.type == "text")
        return self.content or ""


class AskRequest(BaseModel):
    """``POST /v1/ask``: a question, the conversation so far and retrieval settings."""

    question: str = Field(examples=["How much will Xiaomi invest in 5G, AI and IoT?"])
    history: list[HistoryTurn | ChatMessage] = Field(
        default_factory=list,
        description="earlier turns, oldest first: {question, answer} or {role, content}",
    )
    k: StrictInt | StrictFloat | None = Field(default=None, description=_K)
    mode: str | None = Field(default=None, description=_MODE)

    def history_items(self) -> list[dict[str, str]]:
        """The history as the service reads it (dicts)."""
        items: list[dict[str, str]] = []
        for turn in self.history:
            if isinstance(turn, HistoryTurn):
                items.append({"question": turn.question, "answer": turn.answer})
            else:
                items.append({"role": turn.role, "content": turn.text()})
        return items


class SearchRequest(BaseModel):
    """``POST /v1/search``: a query and retrieval settings."""

    query: str = Field(examples=["overseas revenue"])
    k: StrictInt | StrictFloat | None = Field(default=None, description=_K)
    mode: str | None = Field(default=None, description=_MODE)


class ChatCompletionRequest(BaseModel):
    """``POST /v1/chat/completions``: OpenAI's request; other OpenAI fields are ignored.

    The last user message is the question, the messages before it the
    conversation. ``k`` and ``mode`` are seedqa's own (``extra_body`` in
    the ``openai`` package).
    """

    model_config = ConfigDict(extra="allow")

    model: str = Field(examples=["seedqa"])
    messages: list[ChatMessage]
    stream: bool = False
    k: StrictInt | StrictFloat | None = Field(default=None, description=_K)
    mode: str | None = Field(default=None, description=_MODE)


# --------------------------------------------------------------------------- responses


class CitationOut(BaseModel):
    """A cited sentence: ``text`` is the document's text from ``start`` to ``end``."""

    n: int
    doc_id: str
    title: str
    start: int
    end: int
    page: int | None
    text: str
    score: float


class HitOut(BaseModel):
    """A retrieved passage (chunk)."""

    rank: int
    doc_id: str
    chunk_id: str
    title: str
    start: int
    end: int
    page: int | None
    text: str
    score: float


class AnswerOut(BaseModel):
    """The answer schema of ``seedqa ask --json``."""

    question: str
    answer: str
    abstained: bool
    citations: list[CitationOut]
    hits: list[HitOut]
    timings_ms: dict[str, float]


class SearchOut(BaseModel):
    """The search schema of ``seedqa search --json``."""

    query: str
    mode: str
    hits: list[HitOut]


class DocumentOut(BaseModel):
    """One indexed document."""

    doc_id: str
    title: str
    kind: str
    source: str
    n_chars: int
    n_chunks: int
    pages: int | None


class DocumentsOut(BaseModel):
    """The indexed documents, sorted by id."""

    documents: list[DocumentOut]


class ChangeOut(BaseModel):
    """What an upload or removal did, and the generation now answering."""

    summary: str
    documents: int
    chunks: int
    added: list[str]
    updated: list[str]
    removed: list[str]
    embedded: int
    over_window: int
    problems: list[str]
    stored_files: list[str]
    generation: str


class HealthOut(BaseModel):
    """The live index: generation, counts and model."""

    status: Literal["ok"]
    version: str
    index_dir: str
    generation: str
    documents: int
    chunks: int
    model: str
    dimension: int
    vector_index: str
    built_at: str


class ModelOut(BaseModel):
    """A model as OpenAI's ``GET /v1/models`` lists it."""

    id: str
    object: Literal["model"]
    created: int
    owned_by: str


class ModelsOut(BaseModel):
    """OpenAI's model list."""

    object: Literal["list"]
    data: list[ModelOut]


class AssistantMessage(BaseModel):
    """The answer as an assistant message: text with [n] markers, and its citations."""

    role: Literal["assistant"]
    content: str
    citations: list[CitationOut]
    refusal: None = None


class ChatChoice(BaseModel):
    """The one choice of a chat completion."""

    index: int
    message: AssistantMessage
    finish_reason: Literal["stop"]
    logprobs: None = None


class ChatCompletionOut(BaseModel):
    """OpenAI's chat completion; ``system_fingerprint`` names the index generation."""

    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    system_fingerprint: str
    choices: list[ChatChoice]

