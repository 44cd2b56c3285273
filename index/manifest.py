"""The manifest: the self-description of an index generation (``manifest.json``).

It records the format version, the embedder (name, dimension, precision),
the chunker settings, the vector index kind, the sources the index mirrors,
and each document's title, source, kind, content hash and chunk count.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from seedqa.index.errors import IndexMismatch

FORMAT_VERSION = 1


@dataclass(frozen=True)
class DocumentEntry:
    """What the manifest records of one indexed document."""

    doc_id: str
    title: str
    source: str
    kind: str
    content_hash: str
    n_chars: int
    n_chunks: int
    page_starts: tuple[int, ...] = ()


@dataclass(frozen=True)
class Manifest:
    """The self-description of an index generation."""

    embedder: str
    dimension: int
    precision: str
    chunk_tokens: int
    overlap_tokens: int
    vector_index: str
    sources: tuple[str, ...]
    documents: dict[str, DocumentEntry] = field(default_factory=dict)
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    format_version: int = FORMAT_VERSION
    built_at: str = ""
    tokenizer: str = "cl100k_base"

    @property
    def n_chunks(self) -> int:
        """Total number of chunks over all documents."""
        return sum(entry.n_chunks for entry in self.documents.values())

    def to_json(self) -> str:
        """Serialise to indented JSON."""
        data = asdict(self)
        data["documents"] = {k: asdict(v) for k, v in sorted(self.documents.items())}
        return json.dumps(data, indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest written by ``to_json``; refuse another format version."""
        data = json.loads(text)
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexMismatch(
                f"index format version {version} is not supported (this seedqa reads "
                f"{FORMAT_VERSION}); rebuild it with `seedqa index --rebuild`"
            )
        docs = {
            k: DocumentEntry(**{**v, "page_starts": tuple(v.get("page_starts", ()))})
            for k, v in data.pop("documents", {}).items()
        }
        for key in ("sources", "include", "exclude"):
            data[key] = tuple(data.get(key, ()))
        return cls(documents=docs, **data)


def check_embedder(manifest: Manifest, name: str, dimension: int | None = None) -> None:
    """Raise ``IndexMismatch`` when the index was built with another embedder."""
    if manifest.embedder != name or (dimension is not None and manifest.dimension != dimension):
        raise IndexMismatch(
            f"the index was built with embedder {manifest.embedder!r} "
            f"({manifest.dimension}-d), not {name!r}; rebuild it with "
            f"`seedqa index --rebuild --model {name}` or drop --model"
        )
