"""index.readers.html: the visible text and the title, never scripts or markup."""

from __future__ import annotations

from pathlib import Path

from load_helpers import load, reason_of, write

# ----------------------------------------------------------------------------- HTML

HTML = """<!DOCTYPE html>
<html><head><title>  Page &amp; Title </title>
<style>body { color: red } .secret-style {}</style>
<script>alert(1)</script>
<meta name="x" content="meta-content-never">
</head>
<body>
<!-- a comment never shown -->
<h1>Main heading</h1>
<p>Caf&eacute; it&#8217;s   <b>bold</b>
   and <i>italic</i>. <img src="x.png" alt="alt-text" onerror="alert('img')">Second sentence.</p>
<div>Line one<br>Line two</div>
<script type="text/javascript">document.write("<p>injected</p>")</script>
<noscript>Enable JavaScript</noscript>
<template><p>template-body</p></template>
<iframe src="x">iframe-fallback</iframe>
<svg><title>svg-title</title><text>svg-text</text></svg>
<ul><li>First item</li><li>Second item</li></ul>
<table><tr><th>Name</th><th>Age</th></tr><tr><td>Ann</td><td>41</td></tr></table>
<pre>
  indented  code
    more</pre>
<p hidden>hidden-paragraph</p><p style="display: none">display-none</p>
<p>Last &lt;tag&gt; text&nbsp;here.</p>
</body></html>
"""


def test_html_visible_text_only(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "page.html", HTML))
    text = doc.text
    assert doc.kind == "html"
    assert doc.title == "Page & Title"
    for junk in (
        "alert",
        "color: red",
        "secret-style",
        "meta-content-never",
        "comment",
        "injected",
        "Enable JavaScript",
        "template-body",
        "iframe-fallback",
        "svg-",
        "hidden-paragraph",
        "display-none",
        "alt-text",
        "onerror",
        "<b>",
        "&amp;",
        "&eacute;",
    ):
        assert junk not in text, junk
    assert "Caf\u00e9 it\u2019s bold and italic. Second sentence." in text
    assert "Last <tag> text here." in text
    paragraphs = text.split("\n\n")
    assert paragraphs[0] == "Main heading"
    assert paragraphs[1] == "Caf\u00e9 it\u2019s bold and italic. Second sentence."
    assert paragraphs[2] == "Line one\nLine two"
    assert "First item" in paragraphs and "Second item" in paragraphs
    assert "Name\nAge" in paragraphs and "Ann\n41" in paragraphs
    assert "  indented  code\n    more" in paragraphs
    assert not text.startswith((" ", "\n")) and not text.endswith((" ", "\n"))
    assert "\n\n\n" not in text


def test_html_title_fallbacks(tmp_path: Path) -> None:
    doc = load(write(tmp_path / "a.htm", "<body><p>intro</p><h1>The <em>H1</em></h1></body>"))
    assert doc.title == "The H1"
    assert doc.text == "intro\n\nThe H1"
    doc = load(write(tmp_path / "b.html", "<div>just text<br>more</div>"))
    assert doc.title == "just text"
    assert doc.text == "just text\nmore"


def test_html_script_alert_never_appears(tmp_path: Path) -> None:
    source = (
        "<p>Safe</p><script>alert(1)</script><img src=x onerror=alert(1)>"
        "<SCRIPT>alert(2)</SCRIPT><p onclick='alert(3)'>Click</p>"
    )
    doc = load(write(tmp_path / "x.html", source))
    assert "alert" not in doc.text
    assert doc.text == "Safe\n\nClick"


def test_html_declared_charset(tmp_path: Path) -> None:
    raw = '<meta charset="windows-1252"><p>Caf\u00e9 \u201cquoted\u201d</p>'.encode("cp1252")
    doc = load(write(tmp_path / "legacy.html", raw))
    assert doc.text == "Caf\u00e9 \u201cquoted\u201d"


def test_html_without_visible_text(tmp_path: Path) -> None:
    path = write(tmp_path / "empty.html", "<html><head><script>x()</script></head><body> </body>")
    assert "no visible text" in reason_of(path)


