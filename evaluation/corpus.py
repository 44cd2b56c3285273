"""Index a benchmark corpus (id → text) with the ordinary ``build_index`` pipeline.

Each document is written as one ``.txt`` file into ``<base>/corpus/<name>/``
and indexed from there, so the benchmark exercises exactly the loader,
chunker, embedder and stores that users get. The index lives in
``index_dir`` when one is given (kept afterwards: a re-run embeds nothing
new) and in a temporary directory otherwise. Document ids in the index are
``<name>/<file name>``; ``CorpusIndex.original`` maps them back.
"""

from __future__ import annotations

import contextlib
import re
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from seedqa.index.build import BuildReport, build_index
from seedqa.index.embed import Embedder
from seedqa.qa.retriever import Retriever

_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,120}")
CORPUS_DIR = "corpus"


@dataclass
class CorpusIndex:
    """A loaded retriever over a benchmark corpus and the id mapping back to it."""

    retriever: Retriever
    original: dict[str, str]
    build: BuildReport

    def to_original(self, doc_id: str) -> str:
        """The benchmark's id of indexed document ``doc_id``."""
        return self.original.get(doc_id, doc_id)


def _file_names(ids: list[str]) -> list[str]:
    """A file name per id: the id itself when safe, else a numbered name."""
    names, used = [], set()
    for number, doc_id in enumerate(ids):
        name = f"{doc_id}.txt" if _SAFE_NAME.fullmatch(doc_id) else f"doc-{number:07d}.txt"
        if name.lower() in used:
            name = f"doc-{number:07d}.txt"
        used.add(name.lower())
        names.append(name)
    return names


def write_corpus(documents: Mapping[str, str], folder: Path) -> dict[str, str]:
    """Write one UTF-8 ``.txt`` per document into ``folder`` (removing other ``.txt`` files).

    Returns the mapping from file name to the document's id. Unchanged files
    are not rewritten.
    """
    folder.mkdir(parents=True, exist_ok=True)
    ids = list(documents)
    names = _file_names(ids)
    wanted = set(names)
    for old in folder.glob("*.txt"):
        if old.name not in wanted:
            old.unlink()
    for name, doc_id in zip(names, ids, strict=True):
        path = folder / name
        data = documents[doc_id].encode("utf-8")
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
    return dict(zip(names, ids, strict=True))


@contextlib.contextmanager
def corpus_index(
    documents: Mapping[str, str],
    name: str,
    index_dir: str | Path | None = None,
    *,
    embedder: Embedder | None = None,
    progress: bool = False,
    on_status: Callable[[str], None] | None = None,
) -> Iterator[CorpusIndex]:
    """Index ``documents`` (id → text) and yield a ``CorpusIndex`` over them.

    The corpus is embedded once (and, with a kept ``index_dir``, only the
    documents that changed since the last run).
    """
    name = name if _SAFE_NAME.fullmatch(name) else "corpus"
    embedder = embedder or Embedder.load()
    with contextlib.ExitStack() as stack:
        if index_dir is None:
            base = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seedqa-eval-")))
            target = base / "index"
        else:
            base = target = Path(index_dir)
        folder = base / CORPUS_DIR / name
        names = write_corpus(documents, folder)
        report = build_index(
            [folder], target, embedder=embedder, progress=progress, on_status=on_status
        )
        retriever = Retriever.load(target, embedder=embedder)
        original = {f"{name}/{file}": doc_id for file, doc_id in names.items()}
        yield CorpusIndex(retriever, original, report)
