"""The chunk stage: split documents into token-bounded, sentence-aligned chunks.

Sentences (see :mod:`index.sentences`) are packed greedily into chunks of at
most ``chunk_tokens`` cl100k tokens, counted on the exact chunk text including
the whitespace between sentences. A new chunk starts at a paragraph boundary
when the current one is at least half full and the next paragraph would not
fit. Each chunk after the first starts with the trailing whole sentences of
the previous chunk totalling at most ``overlap_tokens``. A sentence longer
than ``chunk_tokens`` is cut at token boundaries (at whitespace where
possible) into pieces that act as sentences of their own.
"""

from __future__ import annotations

from dataclasses import dataclass

import tiktoken

from seedqa.index.errors import InvalidSetting
from seedqa.index.records import Chunk, Document, Span
from seedqa.index.sentences import paragraph_spans, split_sentences
from seedqa.index.tokens import count_tokens, get_encoding

# Measured with eval/measure_chunk_window.py: at 160 cl100k tokens the largest SciFact
# chunk has 201 all-MiniLM-L6-v2 wordpieces (the seed article's 160), well inside the
# 254 left by [CLS]/[SEP]; 254 / 160 leaves room for the ~1.55 wordpieces per token
# seen on URL- or French-heavy text. Larger sizes (192: 236 wordpieces) cut that margin.
DEFAULT_CHUNK_TOKENS = 160
DEFAULT_OVERLAP_TOKENS = 32
MIN_CHUNK_TOKENS = 16
MAX_CHUNK_TOKENS = 2048

# Characters per token allowed when looking for the cut of an over-long sentence.
_CHARS_PER_TOKEN_WINDOW = 8


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut into chunks.

    ``chunk_tokens`` is the most cl100k tokens a chunk may hold (16 to 2048);
    ``overlap_tokens`` is the most tokens of whole trailing sentences a chunk
    repeats from the previous one (0 to less than half of ``chunk_tokens``).
    """

    chunk_tokens: int = DEFAULT_CHUNK_TOKENS
    overlap_tokens: int = DEFAULT_OVERLAP_TOKENS

    def __post_init__(self) -> None:
        """Validate both sizes; raise InvalidSetting naming the bad value and the valid range."""
        size = self.chunk_tokens
        if not _is_int(size) or not MIN_CHUNK_TOKENS <= size <= MAX_CHUNK_TOKENS:
            raise InvalidSetting(
                f"chunk_tokens={size!r} is invalid; use an integer from "
                f"{MIN_CHUNK_TOKENS} to {MAX_CHUNK_TOKENS}"
            )
        overlap = self.overlap_tokens
        bound = size // 2
        if not _is_int(overlap) or not 0 <= overlap < bound:
            raise InvalidSetting(
                f"overlap_tokens={overlap!r} is invalid; use an integer from 0 to {bound - 1} "
                f"(less than half of chunk_tokens={size})"
            )


def _is_int(value: object) -> bool:
    """Return True for a real integer (not a bool)."""
    return isinstance(value, int) and not isinstance(value, bool)


def chunk_document(doc: Document, settings: ChunkSettings = ChunkSettings()) -> list[Chunk]:
    """Split ``doc`` into chunks of at most ``settings.chunk_tokens`` cl100k tokens.

    Chunks hold whole sentences (or pieces of over-long ones), start at strictly
    increasing offsets, and together cover every non-whitespace character of
    ``doc.text``; a document without any gives ``[]``.
    """
    return _Chunker(doc, settings, get_encoding()).run()


class _Chunker:
    """The packing state for one document (sentence units, token counts, estimates)."""

    def __init__(self, doc: Document, settings: ChunkSettings, encoding: tiktoken.Encoding):
        self.doc = doc
        self.text = doc.text
        self.limit = settings.chunk_tokens
        self.overlap = settings.overlap_tokens
        self.encoding = encoding
        self.spans: list[Span] = []
        self.tokens: list[int] = []
        self.paragraphs: list[int] = []
        self._chars_per_token = 4.0  # adapted while cutting over-long sentences
        self._counts: dict[tuple[int, int], int] = {}
        self._units()
        self._estimates()

    def count(self, start: int, end: int) -> int:
        """Return the exact token count of ``text[start:end]`` (memoised)."""
        key = (start, end)
        tokens = self._counts.get(key)
        if tokens is None:
            tokens = self._counts[key] = count_tokens(self.text[start:end])
        return tokens

    def _units(self) -> None:
        """Split the text into sentence units, cutting sentences longer than the limit."""
        text = self.text
        for number, block in enumerate(paragraph_spans(text)):
            for span in split_sentences(text, block.start, block.end):
                if span.end - span.start > self.limit * _CHARS_PER_TOKEN_WINDOW:
                    tokens = self.limit + 1  # cut it without encoding it whole (pieces fit)
                else:
                    tokens = len(self.encoding.encode_ordinary(text[span.start : span.end]))
                if tokens <= self.limit:
                    self.spans.append(span)
                    self.tokens.append(tokens)
                    self.paragraphs.append(number)
                    continue
                for piece, piece_tokens in self._pieces(span):
                    self.spans.append(piece)
                    self.tokens.append(piece_tokens)
                    self.paragraphs.append(number)

    def _pieces(self, span: Span) -> list[tuple[Span, int]]:
        """Cut an over-long sentence into stripped pieces of at most ``limit`` tokens."""
        text, limit = self.text, self.limit
        pieces: list[tuple[Span, int]] = []
        start = span.start
        while start < span.end:
            cut = self._fitting_prefix(start, span.end)
            if cut < span.end:
                cut = self._prefer_space(start, cut)
            while True:
                end = cut
                while end > start + 1 and text[end - 1].isspace():
                    end -= 1
                tokens = self.count(start, end)
                if tokens <= limit or end - start <= 1:
                    break
                cut = end - 1  # stripping made it tokenise worse: shorten and retry
            pieces.append((Span(start, end), tokens))
            start = cut
            while start < span.end and text[start].isspace():
                start += 1
        return pieces

    def _fitting_prefix(self, start: int, end: int) -> int:
        """Return ``cut`` > ``start`` with ``text[start:cut]`` at most ``limit`` tokens."""
        limit = self.limit
        widest = limit * _CHARS_PER_TOKEN_WINDOW
        # Size the window from the characters per token of the previous piece; widen it
        # while it holds too few tokens.
        chars = min(widest, max(32, int(limit * self._chars_per_token * 1.25)))
        while True:
            window_end = min(end, start + chars)
            tokens = self.encoding.encode_ordinary(self.text[start:window_end])
            if len(tokens) > limit or window_end == end or chars >= widest:
                break
            chars = min(widest, chars * 2)
        if len(tokens) <= limit:
            return window_end
        # The first ``limit`` tokens decode to a prefix of the window; a character split
        # between tokens is left out (errors="ignore"), so the cut is a character boundary.
        prefix = self.encoding.decode_bytes(tokens[:limit]).decode("utf-8", errors="ignore")
        cut = start + len(prefix)
        cut = max(start + 1, min(cut, window_end))
        self._chars_per_token = (cut - start) / limit
        if self.count(start, cut) <= limit:
            return cut
        low, high = start + 1, cut  # count(low) fits (one character), count(high) does not
        while high - low > 1:
            middle = (low + high) // 2
            if self.count(start, middle) <= limit:
                low = middle
            else:
                high = middle
        return low

    def _prefer_space(self, start: int, cut: int) -> int:
        """Move ``cut`` back to a whitespace character in the second half of the piece."""
        text = self.text
        floor = start + (cut - start) // 2
        for pos in range(cut, floor, -1):
            if text[pos].isspace():
                return pos
        return cut

    def _estimates(self) -> None:
        """Precompute cumulative token estimates and per-paragraph remainders."""
        text, spans = self.text, self.spans
        gap_cache: dict[tuple[str, bool], int] = {}
        self.gaps = [0] * len(spans)
        for index in range(1, len(spans)):
            gap = text[spans[index - 1].end : spans[index].start]
            digit = text[spans[index].start].isdigit()
            key = (gap, digit)
            if key not in gap_cache:
                estimate = len(self.encoding.encode_ordinary(gap))
                if gap and gap[-1] in " \t" and not digit:
                    estimate -= 1  # cl100k glues one space to the following word or mark
                gap_cache[key] = max(0, estimate)
            self.gaps[index] = gap_cache[key]
        self.cumulative = [0]
        for tokens, gap in zip(self.tokens, self.gaps, strict=True):
            self.cumulative.append(self.cumulative[-1] + gap + tokens)
        # rest[k]: estimated tokens from unit k to the end of its paragraph.
        self.rest = list(self.tokens)
        for index in range(len(spans) - 2, -1, -1):
            if self.paragraphs[index + 1] == self.paragraphs[index]:
                self.rest[index] += self.gaps[index + 1] + self.rest[index + 1]

    def estimate(self, first: int, stop: int) -> int:
        """Estimate the tokens of units ``first`` to ``stop - 1`` with the gaps between them."""
        return self.cumulative[stop] - self.cumulative[first] - self.gaps[first]

    def exact(self, first: int, stop: int) -> int:
        """Count the tokens of the text of units ``first`` to ``stop - 1`` exactly."""
        return self.count(self.spans[first].start, self.spans[stop - 1].end)

    def paragraph_stop(self, first: int, candidate: int) -> bool:
        """Return True to end the chunk before ``candidate`` at its paragraph boundary."""
        if self.paragraphs[candidate] == self.paragraphs[candidate - 1]:
            return False
        current = self.estimate(first, candidate)
        if current * 2 < self.limit:
            return False
        return current + self.gaps[candidate] + self.rest[candidate] > self.limit

    def run(self) -> list[Chunk]:
        """Pack the units into chunks."""
        count = len(self.spans)
        limit = self.limit
        chunks: list[Chunk] = []
        first = fresh = 0  # first unit of the chunk; first unit not in any earlier chunk
        while fresh < count:
            while first < fresh and self.estimate(first, fresh + 1) > limit:
                first += 1
            stop = fresh + 1
            while (
                stop < count
                and self.estimate(first, stop + 1) <= limit
                and not self.paragraph_stop(first, stop)
            ):
                stop += 1
            while self.exact(first, stop) > limit:
                if stop - 1 > fresh:
                    stop -= 1
                elif first < fresh:
                    first += 1
                else:
                    break  # a single unit, which fits by construction
            while (
                stop < count
                and self.estimate(first, stop + 1) <= limit + 2
                and not self.paragraph_stop(first, stop)
                and self.exact(first, stop + 1) <= limit
            ):
                stop += 1
            chunks.append(self._chunk(first, stop))
            if stop >= count:
                break
            following = stop
            while following - 1 > first and (
                self.estimate(following - 1, stop) <= self.overlap + stop - following + 1
                and self.exact(following - 1, stop) <= self.overlap
            ):
                following -= 1
            first, fresh = following, stop
        return chunks

    def _chunk(self, first: int, stop: int) -> Chunk:
        """Build the chunk holding units ``first`` to ``stop - 1``."""
        start, end = self.spans[first].start, self.spans[stop - 1].end
        return Chunk(
            doc_id=self.doc.doc_id,
            start=start,
            end=end,
            text=self.text[start:end],
            sentences=tuple(self.spans[first:stop]),
            page=self.doc.page_at(start),
        )
