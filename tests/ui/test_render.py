"""ui.render: everything escaped, the cited sentence marked in its passage, abstentions distinct."""

from __future__ import annotations

from html.parser import HTMLParser
from types import SimpleNamespace

from seedqa.qa.answer import Answer, Citation
from seedqa.ui import render

EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)"> **bold** [x](javascript:y)'


def citation(n=1, text="The reactor makes 42 MW.", before="Intro. ", after=" Outro.", **kw):
    passage = before + text + after
    passage_start = kw.pop("passage_start", 100)
    start = passage_start + len(before)
    fields = dict(
        n=n,
        doc_id="uploads/notes.txt",
        title="Notes",
        start=start,
        end=start + len(text),
        page=None,
        text=text,
        score=0.5,
        passage=passage,
        passage_start=passage_start,
    )
    fields.update(kw)
    return Citation(**fields)


def answer_of(*citations, abstained=False, reason="", text=None):
    body = text if text is not None else " ".join(f"{c.text} [{c.n}]" for c in citations)
    return Answer(
        question="q?",
        answer=body,
        citations=list(citations),
        abstained=abstained,
        hits=[],
        timings_ms={"retrieve": 12.3, "answer": 4.5, "total": 16.8},
        reason=reason,
    )


ALLOWED_TAGS = {
    "div", "span", "sup", "mark", "blockquote", "strong", "table", "thead", "tbody", "tr",
    "th", "td", "code",
}  # fmt: skip


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def no_live_markup(html: str) -> None:
    """Only the renderer's own tags, and no attribute that can run or load anything."""
    collector = TagCollector()
    collector.feed(html)
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS, tag
        for name in attrs:
            assert name in {"class", "title"}, (tag, name)


def test_answer_escapes_document_text_title_and_file():
    c = citation(
        text=f"Danger {EVIL} here.",
        before=f"{EVIL} before. ",
        after=f" after {EVIL}",
        title=f"<b>Title</b>{EVIL}",
        doc_id='uploads/<img src=x onerror="alert(3)">.txt',
    )
    html = render.render_answer(answer_of(c), k=5, mode="hybrid")
    no_live_markup(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    assert "&lt;b&gt;Title&lt;/b&gt;" in html
    assert "**bold**" in html  # Markdown is left as plain text


def test_question_and_error_and_status_are_escaped():
    for html in (
        render.render_question(EVIL),
        render.render_error(EVIL),
        render.render_status(EVIL),
        render.render_status(EVIL, ok=False),
    ):
        no_live_markup(html)
        assert "&lt;script&gt;" in html


def test_highlight_marks_exactly_the_cited_sentence_inside_its_passage():
    c = citation(text="Cats & dogs < 3.", before="First <one>. ", after=" Last > one.")
    html = render.highlight_passage(c)
    assert html == (
        'First &lt;one&gt;. <mark class="seedqa-mark">Cats &amp; dogs &lt; 3.</mark> Last &gt; one.'
    )


def test_highlight_trims_long_context_and_falls_back_when_offsets_do_not_match():
    long = "word " * 200
    html = render.highlight_passage(citation(before=long, after=long))
    assert html.count("<mark") == 1
    assert html.startswith("…") and html.endswith("…")
    assert len(html) < 2 * render.CONTEXT_CHARS + 200
    broken = citation(passage_start=0)  # offsets now point elsewhere in the passage
    broken = Citation(**{**broken.__dict__, "start": 10_000, "end": 10_010})
    assert render.highlight_passage(broken) == (
        '<mark class="seedqa-mark">The reactor makes 42 MW.</mark>'
    )


def test_answer_has_markers_sources_location_and_latency():
    first = citation(1, "Alpha is one.")
    second = citation(2, "Beta is two.", title="PDF doc", doc_id="docs/b.pdf", page=3)
    html = render.render_answer(answer_of(first, second), k=7, mode="dense")
    assert 'class="seedqa-answer"' in html and "seedqa-abstain" not in html
    assert html.count('class="seedqa-ref"') == 2
    assert ">[1]</sup>" in html and ">[2]</sup>" in html
    assert html.count('class="seedqa-source"') == 2
    assert "Sources (2)" in html
    assert "docs/b.pdf" in html and "page 3" in html
    assert f"characters {first.start}–{first.end}" in html
    assert "answered in 17 ms" in html and "k = 7" in html and "dense" in html


def test_answer_text_keeps_unmatched_parts_escaped():
    c = citation(1, "Alpha.")
    html = render.render_answer_text(answer_of(c, text="Intro <i>x</i> Alpha. [1] tail [9]"))
    assert html.startswith("Intro &lt;i&gt;x&lt;/i&gt; ")
    assert '<span class="seedqa-sentence">Alpha.</span><sup class="seedqa-ref"' in html
    assert html.endswith("tail [9]")


def test_abstention_looks_different():
    answer = answer_of(
        abstained=True,
        reason="the documents do not mention <France>",
        text="The documents don't answer this question (the documents do not mention <France>).",
    )
    html = render.render_answer(answer)
    assert "seedqa-abstain" in html
    assert render.ABSTAIN_HEADLINE in html
    assert "&lt;France&gt;" in html and "<France>" not in html
    assert "seedqa-source" not in html and "seedqa-ref" not in html


def test_documents_table_is_escaped_and_sorted():
    entries = [
        SimpleNamespace(title="Zed", doc_id="b/z.txt", kind="text", n_chunks=2),
        SimpleNamespace(title=EVIL, doc_id="a/<svg onload=x>.md", kind="markdown", n_chunks=1),
    ]
    html = render.render_documents(entries)
    no_live_markup(html)
    assert html.index("a/&lt;svg") < html.index("b/z.txt")
    assert "2 documents indexed" in html
    assert "No documents" in render.render_documents([])
