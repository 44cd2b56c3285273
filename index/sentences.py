r"""Rule-based paragraph and sentence splitting that returns document offsets.

Every span is stripped of surrounding whitespace, non-empty, ordered and
non-overlapping, and the spans together cover every non-whitespace character
of the range they were computed for. The rules are regular expressions plus a
few cheap checks per candidate boundary, so megabytes of text split in seconds:

* a blank line (``\n\s*\n``) always ends a paragraph and so a sentence;
* ``. ! ? …`` (optionally followed by closing quotes or brackets) end a sentence
  when whitespace and then an uppercase letter, digit, opening quote or bracket
  follow, unless the period ends a known abbreviation (``Dr.``, ``e.g.``,
  ``Fig.``...), an initial (``J. Smith``) or a dotted acronym (``U.S.``);
* a single newline ends a sentence when the next line starts a Markdown block,
  or when the line before it has no terminal punctuation and looks like a
  heading, title, date or list item; elsewhere it is ordinary whitespace inside
  a sentence. In hard-wrapped prose (most lines near one width) a newline
  before a word that would not have fit on the line is always just a wrap.
"""

from __future__ import annotations

import re

from seedqa.index.records import Span

# A line that is shorter than this and ends without punctuation may be a heading.
HEADING_MAX_CHARS = 80

# Abbreviations (lower case, without the final period) after which a period
# followed by a capitalised word does not end the sentence.
ABBREVIATIONS = frozenset(
    {
        "mr", "mrs", "ms", "mx", "dr", "prof", "sr", "jr", "st", "rev", "hon", "gen", "gov",
        "sen", "rep", "pres", "lt", "col", "capt", "cpt", "sgt", "maj", "cmdr", "adm", "messrs",
        "vs", "etc", "cf", "approx", "ca", "viz", "al", "fig", "figs", "eq", "eqs", "ref",
        "refs", "vol", "vols", "ch", "chap", "sec", "pp", "ed", "eds", "resp", "dept", "univ",
        "inc", "ltd", "co", "corp", "bros", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
        "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thurs", "fri",
        "sat", "sun", "mt", "ft", "ave", "blvd", "rd", "est", "tel",
    }
)  # fmt: skip
# Abbreviations that only count as such before a number ("No. 5", "Nos. 3-4").
NUMBER_ABBREVIATIONS = frozenset({"no", "nos", "nr", "art", "tab"})

_OPENERS = frozenset("\"'“‘„«([{¿¡")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_TERMINAL = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")
_SPACE_RUN = re.compile(r"\s+")
_LINE_END_TERMINAL = re.compile(r"[.!?…][\"'”’»)\]]*$")
_MARKDOWN_BLOCK = re.compile(r"(?:#{1,6}(?:\s|$)|[-*+•]\s|>|\d{1,3}[.)](?:\s|$)|\||```|~~~|---)")
_MARKDOWN_LINE = re.compile(r"(?:#{1,6}(?:\s|$)|\|)")
_DOTTED_ACRONYM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")
_CONTINUATION_END = frozenset(",;(&/-–—")


def paragraph_spans(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Return the blank-line separated blocks of ``text[start:end]``, stripped.

    Offsets are offsets into ``text``; blocks holding only whitespace are dropped.
    """
    start, end = _clamp(text, start, end)
    spans: list[Span] = []
    pos = start
    for match in _PARAGRAPH_BREAK.finditer(text, start, end):
        _append_stripped(text, pos, match.start(), spans)
        pos = match.end()
    _append_stripped(text, pos, end, spans)
    return spans


def split_sentences(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Return the sentence spans of ``text[start:end]`` as offsets into ``text``.

    Spans are stripped, non-empty, ordered and non-overlapping, and cover every
    non-whitespace character of the range (see the module docstring for the rules).
    """
    spans: list[Span] = []
    for block in paragraph_spans(text, start, end):
        _split_block(text, block.start, block.end, spans)
    return spans


def _clamp(text: str, start: int, end: int | None) -> tuple[int, int]:
    """Clamp a ``[start, end)`` range to the bounds of ``text``."""
    size = len(text)
    end = size if end is None else max(0, min(end, size))
    start = max(0, min(start, end))
    return start, end


def _append_stripped(text: str, start: int, end: int, out: list[Span]) -> None:
    """Append ``text[start:end]`` stripped of whitespace to ``out`` unless it is blank."""
    segment = text[start:end]
    left = segment.lstrip()
    if not left:
        return
    stripped_end = end - (len(left) - len(left.rstrip()))
    out.append(Span(start + len(segment) - len(left), stripped_end))


def _split_block(text: str, start: int, end: int, out: list[Span]) -> None:
    """Split one stripped paragraph ``text[start:end]`` into sentences appended to ``out``."""
    cuts: list[int] = []
    for match in _TERMINAL.finditer(text, start, end):
        space = _SPACE_RUN.match(text, match.end(), end)
        if space is None or space.end() >= end:
            continue
        if _ends_sentence(text, start, match, space.end()):
            cuts.append(match.end())
    block = text[start:end]
    if "\n" in block:
        lines = block.split("\n")
        wrap_width = _wrap_width(lines)
        pos = start
        for index in range(len(lines) - 1):
            pos += len(lines[index])
            if _line_ends_sentence(lines[index], lines[index + 1], wrap_width):
                cuts.append(pos)
            pos += 1
    if not cuts:
        out.append(Span(start, end))
        return
    cuts.sort()
    pos = start
    for cut in cuts:
        if cut > pos:
            _append_stripped(text, pos, cut, out)
            pos = cut
    _append_stripped(text, pos, end, out)


def _ends_sentence(text: str, block_start: int, match: re.Match[str], next_pos: int) -> bool:
    """Decide whether the terminal punctuation ``match`` ends a sentence."""
    following = text[next_pos]
    if following not in _OPENERS and not (following.isalnum() and not following.islower()):
        return False
    if match.group() != ".":
        return True  # "!", "?", an ellipsis or a closing quote/bracket: a real end
    word = _word_before(text, block_start, match.start())
    core = word.lstrip("".join(_OPENERS)).lower()
    if not core:
        return True
    if core in ABBREVIATIONS:
        return False
    if core in NUMBER_ABBREVIATIONS:
        return not following.isdigit()
    if len(core) == 1 and core.isalpha():
        return False  # an initial: "J. Smith"
    return _DOTTED_ACRONYM.fullmatch(core) is None  # "U.S.", "e.g.", "i.e."


def _word_before(text: str, block_start: int, pos: int) -> str:
    """Return the whitespace-delimited word ending at ``pos`` (at most 40 characters)."""
    tail = text[max(block_start, pos - 40) : pos]
    if not tail or tail[-1].isspace():
        return ""
    return tail.split()[-1]


def _wrap_width(lines: list[str]) -> int:
    """Return the wrap width if the lines look like hard-wrapped prose, else 0.

    Hard-wrapped prose has most lines (all but the last) close to one width of
    40-120 characters and at least one line that continues into the next one
    (a lowercase start or a trailing comma/hyphen).
    """
    if len(lines) < 3:
        return 0
    lengths = [len(line.strip()) for line in lines[:-1]]
    width = max(lengths)
    if not 40 <= width <= 120:
        return 0
    full = sum(1 for length in lengths if length >= 0.75 * width)
    if full < 0.6 * len(lengths):
        return 0
    for line, following in zip(lines, lines[1:], strict=False):
        head, tail = following.lstrip(), line.rstrip()
        if (head and head[0].islower()) or (tail and tail[-1] in _CONTINUATION_END):
            return width
    return 0


def _line_ends_sentence(line: str, following: str, wrap_width: int) -> bool:
    """Decide whether the single newline between ``line`` and ``following`` ends a sentence."""
    previous, upcoming = line.strip(), following.strip()
    if not previous or not upcoming:
        return False
    if wrap_width and len(previous) + 1 + len(upcoming.split(maxsplit=1)[0]) > wrap_width:
        return False  # the next word did not fit on this line: an editor wrapped it
    if _MARKDOWN_BLOCK.match(upcoming) or _MARKDOWN_LINE.match(previous):
        return True
    if _LINE_END_TERMINAL.search(previous):
        return False  # the punctuation rules decide
    if len(previous) >= HEADING_MAX_CHARS or previous[-1] in _CONTINUATION_END:
        return False
    return not upcoming[0].islower()
