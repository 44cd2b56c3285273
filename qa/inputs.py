r"""The one check of what a user sends: question or query text, ``k`` and the mode.

The service (and so the CLI, the web chat and the HTTP API) passes every
request through ``validate_request``; the library's own entry points
(``Assistant.ask``, ``Retriever.search``) use the same pieces. What it does:

* terminal escape sequences (ANSI colours, cursor moves, OSC titles) are
  removed whole, so ``"\x1b[31mWhen?"`` becomes ``"When?"``, not ``"[31mWhen?"``;
* other control characters become spaces; the text is NFC-normalised and
  its whitespace folded;
* text that is not valid Unicode (undecodable bytes, which Python keeps as
  lone surrogates, or a lone surrogate sent as JSON ``"\ud800"``) is refused
  with a message naming the first bad character;
* a question longer than ``MAX_QUESTION_CHARS`` is refused, never cut;
* ``k`` must be a whole number from 1 to ``MAX_K`` (``5.0`` counts as 5,
  ``2.7``, ``0``, ``True`` and ``"5"`` do not).

Example:
    >>> validate_request("\x1b[1mHow much?\x1b[0m", k=3).text
    'How much?'

"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from seedqa.index.errors import InvalidSetting
from seedqa.qa.errors import InvalidQuestion
from seedqa.qa.modes import DEFAULT_MODE, retrieval_mode

#: Passages a question retrieves unless told otherwise.
DEFAULT_K = 5
#: The largest ``k`` a request may ask for (CLI, web chat, HTTP API).
MAX_K = 100
#: The deepest ranking ``Retriever.search`` returns (evaluation runs rank deeper than users).
MAX_DEPTH = 1000
#: Questions and queries longer than this (after cleaning) are refused.
MAX_QUESTION_CHARS = 2_000

# ECMA-48 escape sequences: CSI (colours, cursor), OSC (titles, links) ended by BEL or ST,
# DCS/SOS/PM/APC strings ended by ST, two-character escapes, and the 8-bit CSI/OSC forms.
_ESCAPES = re.compile(
    r"""
      \x1b\[ [0-?]* [ -/]* [@-~]?
    | \x9b   [0-?]* [ -/]* [@-~]?
    | (?:\x1b\]|\x9d) [^\x07\x1b\x9c]* (?:\x07|\x1b\\|\x9c)?
    | (?:\x1b[PX^_]|[\x90\x98\x9e\x9f]) [^\x1b\x9c]* (?:\x1b\\|\x9c)?
    | \x1b [ -/]* [0-~]?
    """,
    re.VERBOSE,
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


@dataclass(frozen=True)
class Request:
    """A validated request: cleaned text, ``k``, a known mode name and the earlier turns.

    ``history`` holds ``{"question": ..., "answer": ...}`` turns with cleaned
    text, oldest first (what ``Assistant.ask`` takes to resolve follow-ups).
    """

    text: str
    k: int
    mode: str
    history: tuple[dict[str, str], ...] = ()


def strip_escapes(text: str) -> str:
    """Remove terminal escape sequences (ANSI colours, cursor moves, OSC strings) whole."""
    return _ESCAPES.sub("", text)


def _as_text(text: object, what: str) -> str:
    """Return ``text`` as a ``str``; bytes must be UTF-8. Raise ``InvalidQuestion`` otherwise."""
    if isinstance(text, bytes | bytearray):
        try:
            return bytes(text).decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidQuestion(
                f"the {what} is not valid UTF-8 (byte 0x{text[error.start]:02x} at position "
                f"{error.start}); send it as UTF-8 text"
            ) from error
    if not isinstance(text, str):
        raise InvalidQuestion(f"the {what} must be text, not {type(text).__name__}")
    return text


def _refuse_surrogates(text: str, what: str) -> None:
    """Raise ``InvalidQuestion`` when ``text`` holds a lone surrogate (it is not Unicode)."""
    bad = _SURROGATE.search(text)
    if bad is None:
        return
    code = ord(bad.group())
    if 0xDC80 <= code <= 0xDCFF:  # how Python keeps an undecodable byte (surrogateescape)
        problem = f"is not valid UTF-8 (byte 0x{code - 0xDC00:02x} at position {bad.start()})"
    else:
        problem = f"holds a lone surrogate (U+{code:04X} at position {bad.start()})"
    raise InvalidQuestion(f"the {what} {problem}; retype it or send it as UTF-8 text")


def clean_text(text: object, what: str = "question") -> str:
    """Return ``text`` cleaned: escapes removed, controls spaced, NFC, whitespace folded.

    Raises ``InvalidQuestion`` when ``text`` is not text, is not valid
    Unicode, or is longer than ``MAX_QUESTION_CHARS`` once cleaned.
    """
    raw = _as_text(text, what)
    if len(raw) > 20 * MAX_QUESTION_CHARS:  # refuse a huge payload before working on it
        _too_long(what, len(raw))
    _refuse_surrogates(raw, what)
    folded = unicodedata.normalize("NFC", _CONTROL.sub(" ", strip_escapes(raw)))
    cleaned = " ".join(folded.split())
    if len(cleaned) > MAX_QUESTION_CHARS:
        _too_long(what, len(cleaned))
    return cleaned


def _too_long(what: str, length: int) -> None:
    raise InvalidQuestion(
        f"the {what} is {length:,} characters long; the limit is {MAX_QUESTION_CHARS:,}, "
        "so shorten it"
    )


def clean_question(question: object) -> str:
    """Return the cleaned question; raise ``InvalidQuestion`` when it is unusable or empty."""
    text = clean_text(question)
    if not text:
        raise InvalidQuestion("the question is empty; type a question about your documents")
    return text


def _whole_number(value: object) -> int | None:
    """``value`` as an int when it is a whole number (``5`` or ``5.0``, never a bool)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    return None


def check_k(k: object, maximum: int = MAX_K) -> int:
    """Return ``k`` as an int when it is a whole number from 1 to ``maximum`` (``MAX_K``).

    Raises ``InvalidSetting`` naming the bad value and the valid range.
    """
    value = _whole_number(k)
    if value is None or not 1 <= value <= maximum:
        raise InvalidSetting(f"k={k!r} is not valid; use a whole number from 1 to {maximum}")
    return value


def check_limit(name: str, value: object) -> int:
    """Return a size limit that is a whole number of at least 1, else raise ``InvalidSetting``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidSetting(f"{name}={value!r} is not valid; use a whole number of at least 1")
    return value


def check_depth(k: object) -> int:
    """Return ``k`` when it is a whole number from 1 to ``MAX_DEPTH`` (``Retriever.search``)."""
    return check_k(k, MAX_DEPTH)


def parse_k(text: str) -> int:
    """Parse ``k`` typed on a command line (``"5"``); raise ``InvalidSetting`` like ``check_k``."""
    value: object = text
    for number in (int, float):
        try:
            value = number(text.strip())
            break
        except ValueError:
            continue
    return check_k(value)


def check_mode(mode: object) -> str:
    """Return ``mode`` when it names a retrieval mode; else raise ``InvalidSetting``."""
    return retrieval_mode(mode).name


_HISTORY_SHAPE = (
    "history must be a list of (question, answer) pairs, {question, answer} objects "
    "or chat messages {role, content}"
)


def _turn(turn: object) -> tuple[str, object, object] | None:
    """``(role, question or content, answer)`` of one history item; None when malformed."""
    if isinstance(turn, Mapping):
        if "question" in turn:
            return "pair", turn["question"], turn.get("answer", "")
        if turn.get("role") in ("user", "assistant", "system"):
            return str(turn["role"]), turn.get("content", ""), ""
        return None
    if isinstance(turn, list | tuple) and 1 <= len(turn) <= 2:
        return "pair", turn[0], turn[1] if len(turn) == 2 else ""
    return None


def check_history(history: object) -> tuple[dict[str, str], ...]:
    """Return the earlier turns of a conversation as cleaned ``{question, answer}`` dicts.

    Accepts ``(question, answer)`` pairs, ``{"question", "answer"}`` dicts and
    chat messages ``{"role", "content"}`` (user messages are the questions).
    Every question is checked like a question; raises ``InvalidSetting`` when
    the shape is wrong and ``InvalidQuestion`` when a text is unusable.
    """
    if history is None:
        return ()
    if isinstance(history, str | bytes) or not isinstance(history, Sequence):
        raise InvalidSetting(_HISTORY_SHAPE)
    turns: list[dict[str, str]] = []
    for item in history:
        parsed = _turn(item)
        if parsed is None:
            raise InvalidSetting(_HISTORY_SHAPE)
        role, text, answer = parsed
        if role == "assistant" and turns:
            turns[-1]["answer"] = _loose_text(text)
        elif role in ("pair", "user"):
            question = clean_text(text, "earlier question")
            if question:
                turns.append({"question": question, "answer": _loose_text(answer)})
    return tuple(turns)


def _loose_text(text: object) -> str:
    """An earlier answer, kept only for display: escapes removed, bad characters replaced."""
    if not isinstance(text, str):
        return ""
    return _SURROGATE.sub("\ufffd", strip_escapes(text))


def validate_request(
    text: object,
    k: object = DEFAULT_K,
    mode: object = DEFAULT_MODE,
    *,
    what: str = "question",
    history: object = None,
) -> Request:
    """Validate one question (``what="question"``, must not be empty) or search query.

    This is the one validation the CLI, the web chat and the HTTP API share
    (through ``SeedqaService``): the text, ``k``, the mode and the earlier
    turns of the conversation. Raises ``InvalidQuestion`` or
    ``InvalidSetting`` with a one-line message.
    """
    cleaned = clean_question(text) if what == "question" else clean_text(text, what)
    return Request(cleaned, check_k(k), check_mode(mode), check_history(history))
