"""The load stage: turn files and directories into ``Document`` records.

``discover`` expands the paths a user gives into ``(file, root)`` pairs;
``load_file`` reads one file into a ``Document`` (or raises ``LoadError``);
``load_paths`` does both and collects every per-file problem instead of
raising, so one bad file never stops a corpus from being indexed.

Text and Markdown documents keep their decoded text unchanged (line endings
included), so offsets index the file's decoded content directly. HTML
documents hold the visible text extracted from the markup and PDFs the text
of their pages joined with blank lines; offsets index that extracted text.
"""

from __future__ import annotations

import codecs
import contextlib
import io
import logging
import os
import re
import stat
import warnings
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

from seedqa.index.errors import LoadError
from seedqa.index.records import Document

SUPPORTED_SUFFIXES: frozenset[str] = frozenset(
    {".txt", ".md", ".markdown", ".html", ".htm", ".pdf"}
)

_KINDS = {
    ".txt": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
}
_SUPPORTED_LIST = ".txt, .md, .markdown, .html, .htm, .pdf"
_NO_FILES = "no .txt, .md, .html or .pdf files found"
_TITLE_MAX = 120
_BINARY_SNIFF = 8192


@dataclass(frozen=True)
class LoadProblem:
    """One file (or path) that could not be loaded, with the reason why."""

    path: str
    reason: str

    def __str__(self) -> str:
        """Return ``path: reason`` on one line."""
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class LoadResult:
    """The documents loaded from some paths and the problems met on the way."""

    documents: list[Document]
    problems: list[LoadProblem]


# --------------------------------------------------------------------------- discovery


def _matches(rel: str, patterns: tuple[str, ...]) -> bool:
    """Whether a relative POSIX path matches any glob pattern.

    A pattern is matched against the whole relative path, the bare file name
    and every leading directory (so ``drafts`` or ``drafts/old`` match all the
    files below those directories).
    """
    if not patterns:
        return False
    parts = rel.split("/")
    candidates = [rel, parts[-1]]
    candidates += ["/".join(parts[:i]) for i in range(1, len(parts))]
    return any(fnmatch(c, p) for p in patterns for c in candidates)


def _selected(rel: str, include: tuple[str, ...], exclude: tuple[str, ...]) -> bool:
    """Apply include/exclude patterns to a relative path; exclude wins."""
    if include and not _matches(rel, include):
        return False
    return not _matches(rel, exclude)


def _unsupported(path: Path) -> str:
    suffix = path.suffix or "(no extension)"
    return f"unsupported file type {suffix}; supported: {_SUPPORTED_LIST}"


def _walk(
    root: Path, include: tuple[str, ...], exclude: tuple[str, ...], problems: list[LoadProblem]
) -> Iterator[Path]:
    """Yield the supported, selected files below ``root`` in sorted order."""
    found_supported = 0
    yielded = 0

    def on_error(error: OSError) -> None:
        where = error.filename or str(root)
        problems.append(LoadProblem(str(where), _os_reason(error)))

    for dirpath, dirnames, filenames in os.walk(root, onerror=on_error):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        reldir = os.path.relpath(dirpath, root)
        prefix = "" if reldir == "." else Path(reldir).as_posix() + "/"
        for name in sorted(filenames):
            if name.startswith(".") or Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
                continue
            path = Path(dirpath) / name
            if not path.is_file():
                if path.is_symlink() and not path.exists():
                    problems.append(LoadProblem(str(path), "broken symbolic link"))
                continue  # FIFOs, sockets, devices: never try to read them
            found_supported += 1
            if _selected(prefix + name, include, exclude):
                yielded += 1
                yield path
    if not found_supported:
        problems.append(LoadProblem(str(root), _NO_FILES))
    elif not yielded:
        problems.append(
            LoadProblem(
                str(root),
                f"no files match the include/exclude patterns ({found_supported} supported "
                "files skipped); check --include/--exclude",
            )
        )


def discover(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> tuple[list[tuple[Path, Path]], list[LoadProblem]]:
    """Expand files and directories into sorted, deduplicated ``(file, root)`` pairs.

    A directory argument is walked recursively and is the root of its files;
    hidden files and directories (names starting with ``.``) and files of an
    unsupported type are skipped silently. A file argument has its parent
    directory as root; an unsupported file type given explicitly is a problem.
    ``include``/``exclude`` are ``fnmatch`` globs matched against the path
    relative to the root (POSIX separators), the bare file name and each
    leading directory; a file must match some include pattern (when any are
    given) and no exclude pattern. Files reached twice (same resolved path)
    are kept once, with the root of the first argument that reached them.
    """
    if isinstance(paths, str | os.PathLike):
        paths = [paths]
    inc, exc = tuple(include), tuple(exclude)
    problems: list[LoadProblem] = []
    pairs: list[tuple[Path, Path]] = []
    seen: set[Path] = set()

    def add(file: Path, root: Path) -> None:
        key = file.resolve()
        if key not in seen:
            seen.add(key)
            pairs.append((file, root))

    for raw in paths:
        path = Path(raw)
        try:
            is_dir, is_file, exists = path.is_dir(), path.is_file(), path.exists()
        except OSError as error:  # e.g. name too long, permission on a parent
            problems.append(LoadProblem(str(path), _os_reason(error)))
            continue
        if is_dir:
            for file in _walk(path, inc, exc, problems):
                add(file, path)
        elif is_file:
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                problems.append(LoadProblem(str(path), _unsupported(path)))
            elif _selected(path.name, inc, exc):
                add(path, path.parent)
        elif path.is_symlink() and not exists:
            problems.append(LoadProblem(str(path), "broken symbolic link"))
        elif not exists:
            problems.append(LoadProblem(str(path), "no such file or directory"))
        else:
            problems.append(LoadProblem(str(path), "not a regular file or directory"))
    pairs.sort(key=lambda pair: pair[0].parts)
    return pairs, problems


# --------------------------------------------------------------------------- reading


def _os_reason(error: OSError) -> str:
    """Turn an ``OSError`` into a one-line reason that names the fix."""
    if isinstance(error, PermissionError):
        return "permission denied; make the file readable (chmod +r) or run as its owner"
    if isinstance(error, FileNotFoundError):
        return "no such file or directory"
    if isinstance(error, IsADirectoryError):
        return "is a directory, not a file"
    return f"cannot read: {error.strerror or error}"


def _read_bytes(path: Path) -> bytes:
    """Read a regular file's bytes, raising ``LoadError`` with a clear reason."""
    try:
        mode = path.stat().st_mode
        if stat.S_ISDIR(mode):
            raise LoadError(str(path), "is a directory, not a file")
        if not stat.S_ISREG(mode):
            raise LoadError(str(path), "not a regular file")
        return path.read_bytes()
    except OSError as error:
        raise LoadError(str(path), _os_reason(error)) from error


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)


def _decode(path: Path, data: bytes, *, html: bool = False) -> str:
    """Decode a text file: UTF-8 (BOM stripped), or UTF-16/32 when it has a BOM.

    HTML that is not valid UTF-8 is decoded with the charset its ``<meta>``
    tag declares, when it declares one.
    """
    for bom, encoding, label in _BOMS:
        if data.startswith(bom):
            body = data[len(bom) :]
            try:
                return body.decode(encoding)
            except UnicodeDecodeError as error:
                offset = error.start + len(bom)
                raise LoadError(
                    str(path),
                    f"not valid {label} text (byte 0x{data[offset]:02x} at offset {offset}); "
                    "save it as UTF-8",
                ) from error
    sample = data[:_BINARY_SNIFF]
    if b"\x00" in sample:
        even, odd = sample[0::2], sample[1::2]
        if len(sample) >= 4 and (odd.count(0) > 0.9 * len(odd) or even.count(0) > 0.9 * len(even)):
            raise LoadError(
                str(path), "binary file, not text (UTF-16 without a BOM?); save it as UTF-8"
            )
        raise LoadError(str(path), "binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        if html:
            declared = _META_CHARSET.search(data[:4096])
            if declared:
                with contextlib.suppress(LookupError, UnicodeDecodeError):
                    return data.decode(declared.group(1).decode("ascii"))
        raise LoadError(
            str(path),
            f"not valid UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "save it as UTF-8",
        ) from error


# --------------------------------------------------------------------------- titles


def _clean_title(text: str) -> str:
    """Collapse whitespace and shorten to about ``_TITLE_MAX`` characters."""
    title = " ".join(text.split())
    if len(title) <= _TITLE_MAX:
        return title
    cut = title[:_TITLE_MAX]
    space = cut.rfind(" ")
    if space > _TITLE_MAX // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


def _first_line(text: str) -> str:
    """Return the first non-blank line of ``text``, cleaned as a title."""
    for line in text.splitlines():
        if line.strip():
            return _clean_title(line)
    return ""


_ATX = re.compile(r"^ {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(```+|~~~+)")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`+)")


def _md_inline(text: str) -> str:
    """Strip the common inline Markdown markup (links, emphasis, code) from a title."""
    return _clean_title(_MD_EMPHASIS.sub("", _MD_LINK.sub(r"\1", text)))


def _markdown_title(text: str) -> str:
    """Title of a Markdown document.

    Front-matter ``title:``, else the first ATX (``# Title``) or setext
    heading outside code fences, else the first non-blank line.
    """
    lines = text.splitlines()
    start = 0
    if lines and lines[0].strip() == "---":
        for i in range(1, min(len(lines), 200)):
            stripped = lines[i].strip()
            if stripped in ("---", "..."):
                start = i + 1
                for line in lines[1:i]:
                    key, _, value = line.partition(":")
                    if key.strip().lower() == "title" and value.strip().strip("'\""):
                        return _clean_title(value.strip().strip("'\""))
                break
    fence = ""
    previous = ""
    for line in lines[start:]:
        fenced = _FENCE.match(line)
        if fence:
            if fenced and fenced.group(1)[0] == fence[0] and len(fenced.group(1)) >= len(fence):
                fence = ""
            previous = ""
            continue
        if fenced:
            fence = fenced.group(1)
            previous = ""
            continue
        atx = _ATX.match(line)
        if atx:
            if atx.group(1) and atx.group(1).strip():
                return _md_inline(atx.group(1))
            previous = ""
            continue
        if previous.strip() and _SETEXT.match(line) and not previous.startswith(("    ", "\t")):
            return _md_inline(previous)
        previous = line
    for line in lines[start:]:
        if line.strip():
            return _md_inline(line) or _clean_title(line)
    return ""


# --------------------------------------------------------------------------- HTML

_DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "head",
        "title",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "audio",
        "video",
        "select",
        "datalist",
    }
)
_PARAGRAPH_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "blockquote",
        "caption",
        "center",
        "dd",
        "details",
        "dialog",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "header",
        "hgroup",
        "hr",
        "legend",
        "li",
        "main",
        "nav",
        "ol",
        "p",
        "pre",
        "section",
        "summary",
        "table",
        "tbody",
        "tfoot",
        "thead",
        "tr",
        "ul",
    }
)
_LINE_TAGS = frozenset({"td", "th"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)


class _TextBuilder:
    """Assemble visible text: collapse inline whitespace, turn blocks into breaks."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pending_break = 0  # newlines owed before the next text (0, 1 or 2)
        self.pending_space = False
        self.started = False

    def block(self, newlines: int) -> None:
        if self.started:
            self.pending_break = max(self.pending_break, newlines)

    def line_break(self) -> None:
        if self.started:
            self.pending_break = min(2, self.pending_break + 1)

    def _flush(self) -> None:
        if self.pending_break:
            self.parts.append("\n" * self.pending_break)
        elif self.pending_space:
            self.parts.append(" ")
        self.pending_break = 0
        self.pending_space = False

    def text(self, value: str) -> None:
        words = value.split()
        if not words:
            if value and self.started:
                self.pending_space = True
            return
        if value[0].isspace() and self.started:
            self.pending_space = True
        self._flush()
        self.parts.append(" ".join(words))
        self.started = True
        self.pending_space = value[-1].isspace()

    def raw(self, value: str) -> None:
        if not self.started and not value.strip():
            return
        self._flush()
        self.parts.append(value)
        self.started = True

    def result(self) -> str:
        text = "".join(self.parts)
        text = re.sub(r"[ \t\r\f\v]+\n", "\n", text)
        text = re.sub(r"\n{3,}", "\n\n", text)
        return text.strip()


def _is_hidden(tag: object) -> bool:
    attrs = getattr(tag, "attrs", None) or {}
    if "hidden" in attrs or str(attrs.get("aria-hidden", "")).lower() == "true":
        return True
    style = attrs.get("style")
    return bool(style and _HIDDEN_STYLE.search(str(style)))


def _html_text_and_title(source: str) -> tuple[str, str]:
    """Extract the visible text and the title of an HTML document."""
    from bs4 import BeautifulSoup, NavigableString, Tag

    source = source.replace("\r\n", "\n").replace("\r", "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # MarkupResemblesLocator, XMLParsedAsHTML, ...
        soup = BeautifulSoup(source, "html.parser")

    builder = _TextBuilder()
    pre_depth = 0
    pre_fresh = False
    stack: list[tuple[object, bool]] = [(soup, False)]
    while stack:
        node, closing = stack.pop()
        if isinstance(node, Tag):
            name = (node.name or "").lower()
            if closing:
                if name == "pre":
                    pre_depth -= 1
                if name in _PARAGRAPH_TAGS:
                    builder.block(2)
                elif name in _LINE_TAGS:
                    builder.block(1)
                continue
            if name in _DROP_TAGS or _is_hidden(node):
                continue
            if name == "br":
                builder.line_break()
                continue
            if name in _PARAGRAPH_TAGS:
                builder.block(2)
            elif name in _LINE_TAGS:
                builder.block(1)
            if name == "pre":
                pre_depth += 1
                pre_fresh = True
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(node.contents))
        elif type(node) is NavigableString:  # not comments, CDATA, doctypes, PIs
            value = str(node)
            if pre_depth:
                if pre_fresh and value.startswith("\n"):
                    value = value[1:]
                pre_fresh = False
                builder.raw(value)
            else:
                builder.text(value)
    text = builder.result()

    title = ""
    for candidate in soup.find_all("title"):
        if candidate.find_parent(["svg", "math"]) is None:
            title = _clean_title(candidate.get_text(" "))
            if title:
                break
    if not title:
        h1 = soup.find("h1")
        if h1 is not None:
            title = _clean_title(h1.get_text(" "))
    return text, title or _first_line(text)


# --------------------------------------------------------------------------- PDF


@contextlib.contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """Silence pypdf's warnings (logged and warned) about malformed PDFs."""
    logger = logging.getLogger("pypdf")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _pdf_text(path: Path, data: bytes) -> tuple[str, tuple[int, ...], str]:
    """Return (text, page_starts, metadata title) of a PDF, or raise ``LoadError``."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError

    if b"%PDF-" not in data[:1024]:
        raise LoadError(str(path), "not a PDF file (no %PDF- header); check the file extension")
    with _quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    opened = reader.decrypt("")
                except DependencyError as error:
                    raise LoadError(
                        str(path),
                        "encrypted PDF that needs the 'cryptography' package to open; "
                        "save an unencrypted copy (e.g. qpdf --decrypt in.pdf out.pdf)",
                    ) from error
                if not opened:
                    raise LoadError(
                        str(path),
                        "password-protected PDF; save an unencrypted copy "
                        "(e.g. qpdf --password=... --decrypt in.pdf out.pdf)",
                    )
            pages = [(page.extract_text() or "").strip() for page in reader.pages]
            title = ""
            with contextlib.suppress(Exception):  # a broken /Info must not lose the text
                metadata = reader.metadata
                if metadata is not None and metadata.title:
                    title = _clean_title(str(metadata.title))
        except LoadError:
            raise
        except Exception as error:  # pypdf raises many types for corrupted files
            detail = " ".join(str(error).split())[:120] or type(error).__name__
            raise LoadError(
                str(path), f"broken PDF, cannot be read ({detail}); repair or re-save it"
            ) from error
    if not any(pages):
        raise LoadError(str(path), "no extractable text (scanned PDF?); OCR it first")
    starts: list[int] = []
    offset = 0
    for page in pages:
        starts.append(offset)
        offset += len(page) + 2
    return "\n\n".join(pages), tuple(starts), title


# --------------------------------------------------------------------------- documents


def _doc_id(path: Path, root: Path) -> str:
    """``<root name>/<path relative to root>`` with POSIX separators."""
    root_resolved = root.resolve()
    try:
        rel = path.resolve().relative_to(root_resolved).as_posix()
    except ValueError:  # a symlink inside root pointing outside it
        rel = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(root))).as_posix()
    return f"{root_resolved.name}/{rel}" if root_resolved.name else rel


def load_file(path: Path, root: Path) -> Document:
    """Load one file into a ``Document``; raise ``LoadError`` on any failure.

    ``root`` is the corpus directory the document id is relative to.
    """
    path, root = Path(path), Path(root)
    kind = _KINDS.get(path.suffix.lower())
    if kind is None:
        raise LoadError(str(path), _unsupported(path))
    data = _read_bytes(path)
    if not data:
        raise LoadError(str(path), "empty file")
    page_starts: tuple[int, ...] = ()
    if kind == "pdf":
        text, page_starts, title = _pdf_text(path, data)
        title = title or _first_line(text)
    elif kind == "html":
        text, title = _html_text_and_title(_decode(path, data, html=True))
        if not text:
            raise LoadError(str(path), "no visible text (only markup, scripts or styles)")
    else:
        text = _decode(path, data)
        if not text.strip():
            raise LoadError(str(path), "no text (only whitespace)")
        title = _markdown_title(text) if kind == "markdown" else _first_line(text)
    return Document(
        doc_id=_doc_id(path, root),
        title=title or path.stem,
        text=text,
        source=str(path.resolve()),
        kind=kind,
        page_starts=page_starts,
    )


def load_paths(
    paths: Iterable[str | os.PathLike[str]] | str | os.PathLike[str],
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> LoadResult:
    """Discover and load documents, collecting per-file problems instead of raising.

    Two files that would get the same document id (directories with the same
    name given as separate roots) keep the first and report the second.
    """
    pairs, problems = discover(paths, include, exclude)
    documents: list[Document] = []
    sources: dict[str, str] = {}
    for path, root in pairs:
        try:
            document = load_file(path, root)
        except LoadError as error:
            problems.append(LoadProblem(error.path, error.reason))
            continue
        except Exception as error:  # a bug on one odd file must not stop the others
            problems.append(
                LoadProblem(str(path), f"could not be loaded ({type(error).__name__}: {error})")
            )
            continue
        if document.doc_id in sources:
            problems.append(
                LoadProblem(
                    str(path),
                    f"duplicate document id {document.doc_id} (also {sources[document.doc_id]}); "
                    "rename one of the directories",
                )
            )
            continue
        sources[document.doc_id] = document.source
        documents.append(document)
    return LoadResult(documents=documents, problems=problems)
