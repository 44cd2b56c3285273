"""``seedqa shell``: keep the model loaded and answer question after question, with history.

Each answer uses the conversation so far, so follow-ups ("and over what
period?") work as in the web chat. Lines starting with ``/`` are commands:
``/new`` starts a new conversation, ``/quit`` (or Ctrl-D) leaves.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

from seedqa.qa.errors import SeedqaError
from seedqa.qa.wording import plural
from seedqa.ui.plain import answer_text

if TYPE_CHECKING:
    from seedqa.qa.service import SeedqaService

#: Earlier turns passed with each question (follow-ups need only the last few).
HISTORY_TURNS = 6
HELP = "Ask a question. /new starts a new conversation, /quit or Ctrl-D leaves."


def _read(prompt: str, interactive: bool, stdin: TextIO) -> str | None:
    """One line from the user, or None at the end of input."""
    if interactive:
        try:
            return input(prompt)
        except EOFError:
            print(file=sys.stderr)
            return None
    line = stdin.readline()
    return line if line else None


def run_shell(
    service: SeedqaService,
    k: int,
    mode: str,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Answer each line of ``stdin`` (a prompt when it is a terminal) until EOF or ``/quit``."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    interactive = stdin.isatty()
    if interactive:
        import readline  # noqa: F401  (line editing and ↑ history for input())
    documents = len(service.documents())  # loads the model and the index once, now
    print(f"seedqa shell: {plural(documents, 'document')} indexed. {HELP}", file=sys.stderr)
    turns: list[dict[str, str]] = []
    while True:
        try:
            line = _read("? ", interactive, stdin)
        except KeyboardInterrupt:
            print("\n(Ctrl-D or /quit leaves)", file=sys.stderr)
            continue
        if line is None:
            return 0
        question = line.strip()
        if not question:
            continue
        if question in ("/quit", "/exit", "/q"):
            return 0
        if question in ("/new", "/clear"):
            turns = []
            print("(new conversation)", file=sys.stderr)
            continue
        if question.startswith("/"):
            print(f"unknown command {question.split()[0]}; {HELP}", file=sys.stderr)
            continue
        try:
            answer = service.ask(question, history=turns[-HISTORY_TURNS:], k=k, mode=mode)
        except SeedqaError as error:
            print(f"seedqa: error: {error}", file=sys.stderr)
            continue
        print(answer_text(answer) + "\n", file=stdout, flush=True)
        print(f"({answer.timings_ms['total']:.0f} ms)", file=sys.stderr, flush=True)
        turns.append({"question": question, "answer": answer.answer})
