"""ui.render and ui.markup: everything escaped or sanitized, Markdown rendered, spans marked."""

from __future__ import annotations

from html.parser import HTMLParser
from types import SimpleNamespace

import pytest

from seedqa.qa.answer import Answer, Citation
from seedqa.qa.sources import SourceText
from seedqa.ui import render
from seedqa.ui.markup import render_text
from seedqa.ui.viewer import render_viewer

EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)"> **bold** [x](javascript:y)'
MD_EVIL = (
    "# Title <script>alert(1)</script>\n\n"
    "[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) "
    "<a href='javascript:alert(2)'>raw</a> ![img](http://example.org/x.png)\n\n"
    "<img src=x onerror=alert(3)> <iframe src=javascript:alert(4)></iframe>\n\n"
    "[ok](https://example.org/page) `<b>code</b>` <svg onload=alert(5)>\n"
)


def citation(n=1, text="The reactor makes 42 MW.", before="Intro. ", after=" Outro.", **kw):
    passage = before + text + after
    passage_start = kw.pop("passage_start", 100)
    start = passage_start + len(before)
    fields = dict(
        n=n, doc_id="uploads/notes.txt", title="Notes", start=start, end=start + len(text),
        page=None, text=text, score=0.5, passage=passage, passage_start=passage_start,
    )  # fmt: skip
    fields.update(kw)
    return Citation(**fields)


def hit(text, doc_id="notes/a.md", start=0, title="Notes"):
    return SimpleNamespace(doc_id=doc_id, title=title, start=start, end=start + len(text),
                           page=None, text=text, rank=1, score=0.3, scores={})  # fmt: skip


def answer_of(*citations, abstained=False, reason="", text=None, hits=()):
    body = text if text is not None else " ".join(f"{c.text} [{c.n}]" for c in citations)
    return Answer(
        question="q?", answer=body, citations=list(citations), abstained=abstained,
        hits=list(hits), timings_ms={"retrieve": 12.3, "answer": 4.5, "total": 16.8},
        reason=reason,
    )  # fmt: skip


ALLOWED_TAGS = {
    "div", "span", "sup", "mark", "blockquote", "strong", "em", "table", "thead", "tbody",
    "tr", "th", "td", "code", "details", "summary", "button", "pre", "p", "h1", "h2", "a",
}  # fmt: skip
SAFE_ATTRIBUTES = {"class", "title", "id", "role", "tabindex", "type", "open", "href", "rel"}


class TagCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def no_live_markup(html: str) -> list[tuple[str, dict]]:
    """Only known tags, no attribute that can run code, links only to http(s)."""
    collector = TagCollector()
    collector.feed(html)
    for tag, attrs in collector.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert name in SAFE_ATTRIBUTES, (tag, name)
            if name == "href":
                assert value.startswith(("https://", "http://")), value
    return collector.tags


def test_answer_escapes_document_text_title_and_file():
    c = citation(
        text=f"Danger {EVIL} here.", before=f"{EVIL} before. ", after=f" after {EVIL}",
        title=f"<b>Title</b>{EVIL}", doc_id='uploads/<img src=x onerror="alert(3)">.txt',
    )  # fmt: skip
    html = render.render_answer(answer_of(c), k=5, mode="hybrid", turn="t1")
    no_live_markup(html)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in html
    assert "&lt;b&gt;Title&lt;/b&gt;" in html
    assert "**bold**" in html  # a .txt document's Markdown stays plain text


def test_markdown_sources_render_as_markdown_in_answers_and_cards():
    text = "Our starter is called **Gerald** and is fed daily."
    c = citation(text=text, before="## Sourdough\n\n", after="\n\n- flour\n", doc_id="a/b.md")
    html = render.render_answer(answer_of(c), turn="t1", kinds={"a/b.md": "markdown"})
    no_live_markup(html)
    assert "**" not in html.split('<pre class="seedqa-copytext">')[0]
    assert "<strong>Gerald</strong>" in html
    assert "## Sourdough" not in html.split("<pre")[0] and "Sourdough" in html


@pytest.mark.parametrize("inline", [False, True])
def test_markdown_xss_is_neutralised(inline):
    html = render_text(MD_EVIL, "markdown", [(0, 20)], inline=inline)
    tags = no_live_markup(html)
    links = [attrs["href"] for tag, attrs in tags if tag == "a"]
    assert links == ["https://example.org/page"]
    assert "&lt;script&gt;" in html and "&lt;img src=x" in html  # raw HTML shown as text
    assert "[image: img]" in html  # images never load anything
    assert "&lt;b&gt;code&lt;/b&gt;" in html


def test_highlight_marks_exactly_the_cited_sentence_inside_its_passage():
    c = citation(text="Cats & dogs < 3.", before="First <one>. ", after=" Last > one.")
    assert render.highlight_passage(c) == (
        'First &lt;one&gt;. <mark class="seedqa-hl seedqa-hl-n0">Cats &amp; dogs &lt; 3.</mark>'
        " Last &gt; one."
    )


def test_highlight_over_markdown_emphasis_stays_well_formed():
    html = render_text("A starter called **Gerald** is fed.", "markdown", [(2, 27)], inline=True)
    assert html == (
        'A <mark class="seedqa-hl seedqa-hl-n0">starter called </mark><strong>'
        '<mark class="seedqa-hl seedqa-hl-n0">Gerald</mark></strong> is fed.'
    )


def test_highlight_trims_long_context_and_falls_back_when_offsets_do_not_match():
    long = "word " * 200
    html = render.highlight_passage(citation(before=long, after=long))
    assert html.count("<mark") == 1
    assert html.startswith("…") and html.endswith("…")
    assert len(html) < 2 * render.CONTEXT_CHARS + 200
    broken = citation(passage_start=0)
    broken = Citation(**{**broken.__dict__, "start": 10_000, "end": 10_010})
    assert render.highlight_passage(broken) == (
        '<mark class="seedqa-hl seedqa-hl-n0">The reactor makes 42 MW.</mark>'
    )


def test_answer_has_clickable_markers_collapsible_cards_actions_and_latency():
    first = citation(1, "Alpha is one.")
    second = citation(2, "Beta is two.", title="PDF doc", doc_id="docs/b.pdf", page=3)
    html = render.render_answer(answer_of(first, second), k=7, mode="dense", turn="abc")
    assert 'id="seedqa-turn-abc"' in html and "seedqa-abstain" not in html
    assert html.count('class="seedqa-ref seedqa-ref-') == 2 and ">[2]</sup>" in html
    assert '<details class="seedqa-source seedqa-card-1">' in html
    assert "seedqa-card-2" in html and "seedqa-src-2" in html and "Sources (2)" in html
    assert "docs/b.pdf" in html and "page 3" in html
    assert f"characters {first.start}–{first.end}" in html
    assert "answered in 17 ms" in html and "k = 7" in html and "dense" in html
    for action in ("copy", "retry", "up", "down"):
        assert f"seedqa-act-{action}" in html
    assert "Sources:\n[1] Notes" in html  # the text Copy puts on the clipboard
    pressed = render.render_answer(answer_of(first), turn="abc", feedback="down")
    assert "seedqa-act-down seedqa-act-on" in pressed


def test_answer_text_keeps_unmatched_parts_escaped():
    c = citation(1, "Alpha.")
    html = render.render_answer_text(answer_of(c, text="Intro <i>x</i> Alpha. [1] tail [9]"))
    assert html.startswith("Intro &lt;i&gt;x&lt;/i&gt; ")
    assert '<span class="seedqa-sentence">Alpha.</span><sup class="seedqa-ref' in html
    assert html.endswith("tail [9]")


def test_decline_says_so_and_shows_the_closest_passages_as_not_an_answer():
    hits = [hit("Xiaomi **invests** in 5G. " * 30, start=10), hit("Second <b>passage</b>."),
            hit("Third."), hit("Fourth, not shown.")]  # fmt: skip
    answer = answer_of(
        abstained=True, reason="the documents do not mention <2018>", hits=hits,
        text="The documents don't say. The closest passage is [1].",
    )  # fmt: skip
    html = render.render_answer(answer, turn="t9", kinds={"notes/a.md": "markdown"})
    no_live_markup(html)
    assert "seedqa-abstain" in html and "The documents don&#x27;t say" in html
    assert "&lt;2018&gt;" in html and "<2018>" not in html
    assert render.NOT_AN_ANSWER in html and "Try rephrasing" in html
    assert html.count('class="seedqa-closest-item') == 3 and "Fourth" not in html.split("<pre")[0]
    assert "<strong>invests</strong>" in html and "…" in html  # rendered, trimmed
    assert "seedqa-hitsrc-0" in html and "seedqa-card-" not in html


def test_viewer_renders_the_whole_document_by_kind_with_every_span_marked():
    md = "# Bread\n\nA starter called **Gerald**.\n\nIt is fed daily.\n"
    view = render_viewer(SourceText("n/b.md", "Bread", "markdown", md, (), True),
                         [(9, 37), (39, 55)], focus=1)  # fmt: skip
    no_live_markup(view)
    assert "<h1>Bread</h1>" in view and "<strong>" in view
    assert view.count("seedqa-hl-focus") == 1 and "2 highlighted passages" in view
    pdf = "One. Two.\n\nThree <x>."
    paged = render_viewer(SourceText("d.pdf", "D", "pdf", pdf, (0, 11), False), [(11, 21)])
    assert "Page 1" in paged and "Page 2" in paged and "&lt;x&gt;" in paged
    assert "indexed text" in paged  # the file changed since it was indexed


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
