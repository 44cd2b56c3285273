"""Answer with the reader: a cross-encoder that reads the question with each candidate sentence.

The similarity scorer (``extract.score_sentences``) ranks every sentence of
the retrieved chunks; its best ``top_n`` are read by the reader
(``cross_encoder.CrossEncoder``: MiniLM fine-tuned as a cross-encoder, run on
ONNX Runtime), together with the sentence before each. The pick is the
candidate with the highest reader logit plus ``combine`` times the scorer's
ranking score; the decision is the reader's probability for that pick
against the threshold calibrated on held-out users'-style documents and
stored with the model (``models/reader/answer.json``). Supporting sentences
within ``margin`` of the pick that also pass the threshold are added. Below the
threshold the answerer abstains and names the passage that came closest.

No hand-written rule decides on its own: the scorer's ranking score is an
input to the pick, and the earlier rule "the question names a figure or name
no passage mentions" is an input to the decision, each with a weight
calibrated on held-apart users'-style documents (``calibrate_reader``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seedqa.qa.answer_features import candidate_sentences
from seedqa.qa.cross_encoder import CrossEncoder
from seedqa.qa.cross_encoder_files import READER_DIR
from seedqa.qa.evidence import Evidence
from seedqa.qa.extract import Candidate, Extraction, score_sentences, unsupported_specifics

MAX_SENTENCES = 2
DUPLICATE_COSINE = 0.95
SETTINGS_FILE = "answer.json"


@dataclass(frozen=True)
class ReaderSettings:
    """How the reader's scores become an answer (stored beside the model).

    ``top_n``: candidates read per question; ``combine``: weight of the
    scorer's ranking score in the pick; ``threshold``: the reader probability
    the pick needs; ``margin``: how far below the pick (in combined score) a
    supporting sentence may be; ``missing_weight``: taken off the pick's logit
    when the question names a figure or proper name that no retrieved passage
    mentions (the earlier hand rule, as an input with a calibrated weight).
    """

    top_n: int = 8
    combine: float = 4.0
    threshold: float = 0.5
    margin: float = 1.0
    missing_weight: float = 0.0

    @classmethod
    def load(cls, model_dir: Path) -> ReaderSettings:
        """The settings in ``model_dir/answer.json`` (defaults when absent)."""
        path = Path(model_dir) / SETTINGS_FILE
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        names = ("top_n", "combine", "threshold", "margin", "missing_weight")
        return cls(**{k: data[k] for k in names if k in data})


class ReaderAnswerer:
    """Chooses answer sentences with the reader; safe to share across threads."""

    name = "reader"

    def __init__(self, reader: CrossEncoder | None = None, model_dir: Path | None = None) -> None:
        folder = Path(model_dir) if model_dir else READER_DIR
        self.reader = reader or CrossEncoder.load(folder)
        self.settings = ReaderSettings.load(folder)

    def score(self, evidence: Evidence) -> tuple[list[Candidate], np.ndarray, np.ndarray]:
        """The scorer's best candidates, the reader's logits and the combined scores."""
        ranked = score_sentences(evidence)[: self.settings.top_n]
        if not ranked:
            return [], np.zeros(0), np.zeros(0)
        previous = {
            (c.hit.doc_id, c.span.start): c.previous for c in candidate_sentences(evidence.hits)
        }
        pairs = [(c.text, previous.get((c.hit.doc_id, c.span.start), "")) for c in ranked]
        logits = self.reader.logits(evidence.question, pairs).astype(np.float64)
        combined = logits + self.settings.combine * np.array([c.score for c in ranked])
        return ranked, logits, combined

    def extract(self, evidence: Evidence) -> Extraction:
        """Choose the answer sentences of ``evidence``, or abstain naming the closest passage."""
        ranked, logits, combined = self.score(evidence)
        probabilities = 1.0 / (1.0 + np.exp(-logits))
        if not ranked:
            return Extraction([], True, "nothing relevant was retrieved", 0.0)
        order = [int(i) for i in np.argsort(-combined, kind="stable")]
        best = order[0]
        missing = unsupported_specifics(evidence.question, evidence.text)
        penalty = self.settings.missing_weight if missing else 0.0
        confidence = float(1.0 / (1.0 + np.exp(-(logits[best] - penalty))))
        threshold = self.settings.threshold
        if confidence < threshold:
            reason = (
                f"the documents do not mention {', '.join(missing[:3])}"
                if penalty
                else "no sentence reaches the answer threshold"
            )
            return Extraction([], True, reason, confidence, ranked[best].hit, [ranked[best]])
        chosen = [best]
        for i in order[1:]:
            if len(chosen) >= MAX_SENTENCES or combined[i] < combined[best] - self.settings.margin:
                break
            if probabilities[i] < threshold:
                continue
            if any(float(ranked[i].vector @ ranked[j].vector) >= DUPLICATE_COSINE for j in chosen):
                continue
            chosen.append(i)
        first_rank: dict[str, int] = {}
        for i in chosen:
            first_rank.setdefault(ranked[i].hit.doc_id, ranked[i].hit.rank)
        chosen.sort(key=lambda i: (first_rank[ranked[i].hit.doc_id], ranked[i].span.start))
        return Extraction([ranked[i] for i in chosen], False, "", confidence)
