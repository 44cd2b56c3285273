"""The manifest: the self-description of an index generation (``manifest.json``).

It records the format version, the embedder (name, dimension, precision),
the chunker settings, the vector index kind, the vector store (FAISS files in
the generation, or a Milvus collection: ``store``), the sources the index mirrors,
each document's title, source, kind, content hash and chunk count, and the
size and checksum of every other file of the generation (``files``).

``Manifest.from_json`` checks every field's type against the dataclasses
below: a damaged manifest raises ``ValueError`` naming the field, never an
``AttributeError`` later.
"""

from __future__ import annotations

import json
import typing
from dataclasses import MISSING, asdict, dataclass, field, fields, is_dataclass

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
class StoreSettings:
    """Where a generation's vectors live (``index.stores``).

    ``faiss``: files in the generation directory. ``milvus``: the collection
    ``collection`` at ``uri`` (a Milvus Lite database path, relative to the
    index directory unless absolute, or ``http(s)://host:port``), where this
    index generation is collection generation ``generation`` and the one
    before it ``previous``. A server token is never recorded.
    """

    kind: str = "faiss"
    uri: str = ""
    collection: str = ""
    generation: int = 0
    previous: int = 0

    def same_place(self, other: StoreSettings | None) -> bool:
        """True when ``other`` names the same store (kind, URI and collection)."""
        return other is not None and (self.kind, self.uri, self.collection) == (
            other.kind,
            other.uri,
            other.collection,
        )


@dataclass(frozen=True)
class FileRecord:
    """Size in bytes and checksum (``"<algorithm>:<hex>"``) of one file of a generation."""

    size: int
    checksum: str


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
    files: dict[str, FileRecord] = field(default_factory=dict)
    store: StoreSettings = field(default_factory=StoreSettings)

    @property
    def n_chunks(self) -> int:
        """Total number of chunks over all documents."""
        return sum(entry.n_chunks for entry in self.documents.values())

    def to_json(self) -> str:
        """Serialise to indented JSON."""
        data = asdict(self)
        data["documents"] = {k: asdict(v) for k, v in sorted(self.documents.items())}
        data["files"] = {k: asdict(v) for k, v in sorted(self.files.items())}
        return json.dumps(data, indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest written by ``to_json``; refuse another format version.

        Raises ``ValueError`` naming the first field of a wrong type, and
        ``IndexMismatch`` for another format version.
        """
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError(f"the manifest is a JSON {type(data).__name__}, not an object")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexMismatch(
                f"index format version {version} is not supported (this seedqa reads "
                f"{FORMAT_VERSION}); rebuild it with `seedqa index --rebuild`"
            )
        return _build(cls, data, "manifest")


_HINTS: dict[type, dict[str, typing.Any]] = {}


def _hints(record: type) -> dict[str, typing.Any]:
    """The resolved field types of a manifest dataclass (cached)."""
    if record not in _HINTS:
        _HINTS[record] = typing.get_type_hints(record)
    return _HINTS[record]


def _build(record: type, data: object, where: str) -> typing.Any:
    """Make ``record`` from a JSON object, checking each known field's type."""
    if not isinstance(data, dict):
        raise ValueError(f"{where} should be an object, not {_kind(data)}")
    hints = _hints(record)
    known = {f.name for f in fields(record)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ValueError(f"{where} has unknown field {unknown[0]!r}")
    missing = [f.name for f in fields(record) if f.name not in data and _required(f)]
    if missing:
        raise ValueError(f"{where} lacks the field {missing[0]!r}")
    values = {name: _value(value, hints[name], f"{where}.{name}") for name, value in data.items()}
    return record(**values)


def _required(spec: typing.Any) -> bool:
    return spec.default is MISSING and spec.default_factory is MISSING


def _kind(value: object) -> str:
    return "null" if value is None else type(value).__name__


def _value(value: object, hint: typing.Any, where: str) -> typing.Any:
    """Check one JSON value against a type hint; return it converted (lists to tuples)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is str or hint is int:
        if not isinstance(value, hint) or isinstance(value, bool):
            raise ValueError(f"{where} should be {hint.__name__}, not {_kind(value)}")
        return value
    if origin is tuple:
        if not isinstance(value, list):
            raise ValueError(f"{where} should be a list, not {_kind(value)}")
        return tuple(_value(v, args[0], f"{where}[{i}]") for i, v in enumerate(value))
    if origin is dict:
        if not isinstance(value, dict):
            raise ValueError(f"{where} should be an object, not {_kind(value)}")
        return {k: _build(args[1], v, f"{where}[{k!r}]") for k, v in value.items()}
    if is_dataclass(hint):
        return _build(hint, value, where)
    return value


def check_embedder(manifest: Manifest, name: str, dimension: int | None = None) -> None:
    """Raise ``IndexMismatch`` when the index was built with another embedder."""
    if manifest.embedder != name or (dimension is not None and manifest.dimension != dimension):
        raise IndexMismatch(
            f"the index was built with embedder {manifest.embedder!r} "
            f"({manifest.dimension}-d), not {name!r}; rebuild it with "
            f"`seedqa index --rebuild --model {name}` or drop --model"
        )
