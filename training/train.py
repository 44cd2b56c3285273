"""Train the answer head on collected candidate lists (step 2 of ``make train-answerer``).

Loss per question: binary cross-entropy on every labelled candidate (does this
sentence answer?) plus a listwise term that puts the answer sentence first
among the question's candidates. Hand-written questions are weighted up: they
are the only training questions written the way users ask.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from seedqa.training.collect import load_dataset
from seedqa.training.head import AnswerHead, Batch
from seedqa.training.token_store import TokenStore


@dataclass
class Settings:
    """Training hyper-parameters (defaults are the shipped model's)."""

    epochs: int = 8
    batch_questions: int = 32
    lr: float = 3e-3
    weight_decay: float = 1e-4
    listwise_weight: float = 1.0
    hand_weight: float = 4.0
    max_negatives: int = 12
    max_tokens: int = 96
    align_dim: int = 64
    type_dim: int = 32
    hidden: int = 32
    inputs: str = "both"
    seed: int = 0


class TextTable:
    """Token ids and vectors of every text a dataset refers to, stripped of [CLS]/[SEP]."""

    def __init__(self, texts: Sequence[str], store: TokenStore, max_tokens: int) -> None:
        self.ids: list[np.ndarray] = []
        self.vectors: list[np.ndarray] = []
        for text in texts:
            tokens = store.get(text)
            self.ids.append(tokens.ids[1:-1][:max_tokens])
            self.vectors.append(tokens.vectors[1:-1][:max_tokens].astype(np.float16))


@dataclass
class Dataset:
    """One collected dataset with its text table."""

    name: str
    arrays: dict[str, np.ndarray]
    meta: list[dict]
    table: TextTable

    @property
    def n(self) -> int:
        """Number of questions."""
        return len(self.arrays["question"])

    def rows(self, i: int) -> np.ndarray:
        """Candidate row indices of question ``i``."""
        start = int(self.arrays["start"][i])
        return np.arange(start, start + int(self.arrays["count"][i]))


def load(work: Path, name: str, store: TokenStore, settings: Settings) -> Dataset:
    """Load dataset ``name`` from ``work``."""
    data = load_dataset(work, name)
    table = TextTable(data["texts"], store, settings.max_tokens)  # type: ignore[arg-type]
    return Dataset(name, data["arrays"], data["meta"], table)  # type: ignore[arg-type]


def _indices(parts: Sequence[list[int]], offsets: dict[int, int], lengths: dict[int, int]):
    """Padded bank indices and mask for items made of the texts ``parts`` (in order)."""
    rows = [
        [o for t in texts for o in range(offsets[t], offsets[t] + lengths[t])] for texts in parts
    ]
    width = max([len(r) for r in rows] + [1])
    index = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=bool)
    for i, row in enumerate(rows):
        index[i, : len(row)] = row
        mask[i, : len(row)] = True
    return torch.from_numpy(index), torch.from_numpy(mask)


def make_batch(
    dataset: Dataset, questions: Sequence[int], rows: Sequence[np.ndarray], numeric: np.ndarray
) -> Batch:
    """The bank of distinct texts and the index tensors for the candidate ``rows``."""
    a, table = dataset.arrays, dataset.table
    q_texts = [[int(a["question"][i])] for i in questions]
    s_texts, c_texts, pair_question, hand = [], [], [], []
    for g, candidate_rows in enumerate(rows):
        for r in candidate_rows:
            pair_question.append(g)
            s_texts.append([int(a["sentence"][r])])
            c_texts.append([t for t in (int(a["previous"][r]), int(a["title"][r])) if t >= 0])
            hand.append(a["hand"][r])
    distinct = list(
        dict.fromkeys(t for group in (q_texts, s_texts, c_texts) for ts in group for t in ts)
    )
    lengths = {t: len(table.ids[t]) for t in distinct}
    offsets, position = {}, 0
    for t in distinct:
        offsets[t] = position
        position += lengths[t]
    dim = table.vectors[0].shape[1] if table.vectors else 384
    bank = np.zeros((max(position, 1), dim), dtype=np.float32)
    bank_ids = np.zeros(max(position, 1), dtype=np.int64)
    for t in distinct:
        bank[offsets[t] : offsets[t] + lengths[t]] = table.vectors[t]
        bank_ids[offsets[t] : offsets[t] + lengths[t]] = table.ids[t]
    q_index, q_mask = _indices(q_texts, offsets, lengths)
    s_index, s_mask = _indices(s_texts, offsets, lengths)
    c_index, c_mask = _indices(c_texts, offsets, lengths)
    return Batch(
        bank=torch.from_numpy(bank),
        bank_ids=torch.from_numpy(bank_ids),
        bank_figure=torch.from_numpy(numeric[bank_ids].astype(np.float32)),
        q_index=q_index,
        q_mask=q_mask,
        pair_question=torch.tensor(pair_question, dtype=torch.long),
        s_index=s_index,
        s_mask=s_mask,
        c_index=c_index,
        c_mask=c_mask,
        hand=torch.from_numpy(np.stack(hand).astype(np.float32)),
    )


def _training_rows(dataset: Dataset, i: int, rng: random.Random, settings: Settings) -> np.ndarray:
    """All positives and a sample of negatives (hardest by the old score, plus random ones)."""
    rows = dataset.rows(i)
    labels = dataset.arrays["label"][rows]
    positives = rows[labels == 1]
    negatives = rows[labels == 0]
    if len(negatives) > settings.max_negatives:
        old_gap = dataset.arrays["hand"][negatives, -1]
        order = negatives[np.argsort(-old_gap)]
        hard = list(order[: settings.max_negatives // 2])
        rest = list(order[settings.max_negatives // 2 :])
        hard += rng.sample(rest, settings.max_negatives - len(hard))
        negatives = np.array(hard)
    return np.concatenate([positives, negatives]).astype(np.int64)


def _loss(
    logits: torch.Tensor,
    labels: torch.Tensor,
    groups: torch.Tensor,
    weights: torch.Tensor,
    n_groups: int,
    settings: Settings,
) -> torch.Tensor:
    pair_weight = weights[groups]
    bce = (
        torch.nn.functional.binary_cross_entropy_with_logits(
            logits, labels, weight=pair_weight, reduction="sum"
        )
        / pair_weight.sum()
    )
    # listwise: -log of the softmax mass on the positives, for questions that have one
    maxed = torch.full((n_groups,), -1e4).scatter_reduce(0, groups, logits, "amax")
    exp = torch.exp(logits - maxed[groups])
    total = torch.zeros(n_groups).index_add(0, groups, exp)
    positive = torch.zeros(n_groups).index_add(0, groups, exp * labels)
    has = positive > 0
    if has.any():
        listwise = -(torch.log(positive[has]) - torch.log(total[has]))
        listwise = (listwise * weights[has]).sum() / weights[has].sum()
    else:
        listwise = torch.tensor(0.0)
    return bce + settings.listwise_weight * listwise


def train(
    datasets: Sequence[Dataset], numeric: np.ndarray, settings: Settings, log=print
) -> AnswerHead:
    """Train a head on ``datasets`` (each question weighted by its source)."""
    torch.manual_seed(settings.seed)
    rng = random.Random(settings.seed)
    hand = np.concatenate([d.arrays["hand"] for d in datasets])
    std = hand.std(axis=0)
    model = AnswerHead(
        hand.shape[1],
        align_dim=settings.align_dim,
        type_dim=settings.type_dim,
        hidden=settings.hidden,
        hand_mean=hand.mean(axis=0),
        hand_std=np.where(std > 1e-6, std, 1.0),
        inputs=settings.inputs,
    )
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=settings.lr, weight_decay=settings.weight_decay
    )
    items = [(d, i) for d in datasets for i in range(d.n) if d.arrays["count"][i] > 0]
    steps = settings.epochs * (
        (len(items) + settings.batch_questions - 1) // settings.batch_questions
    )
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, settings.lr, total_steps=steps)
    import time

    for epoch in range(settings.epochs):
        began = time.perf_counter()
        rng.shuffle(items)
        running, count = 0.0, 0
        for begin in range(0, len(items), settings.batch_questions):
            chunk = items[begin : begin + settings.batch_questions]
            by_dataset: dict[str, list[int]] = {}
            for d, i in chunk:
                by_dataset.setdefault(d.name, []).append(i)
            optimizer.zero_grad()
            total_loss = torch.tensor(0.0)
            for d in datasets:
                chosen = by_dataset.get(d.name)
                if not chosen:
                    continue
                rows = [_training_rows(d, i, rng, settings) for i in chosen]
                batch = make_batch(d, chosen, rows, numeric)
                labels = torch.tensor(
                    np.concatenate([d.arrays["label"][r] for r in rows]), dtype=torch.float32
                )
                groups = batch.pair_question
                weight = settings.hand_weight if d.name == "hand" else 1.0
                weights = torch.full((len(chosen),), weight)
                logits = model(batch)
                share = len(chosen) / len(chunk)
                total_loss = total_loss + share * _loss(
                    logits, labels, groups, weights, len(chosen), settings
                )
            total_loss.backward()
            optimizer.step()
            scheduler.step()
            running += float(total_loss.detach())
            count += 1
        log(
            f"epoch {epoch + 1}/{settings.epochs}: loss {running / max(count, 1):.4f} "
            f"({time.perf_counter() - began:.0f} s)"
        )
    return model


@torch.no_grad()
def predict(model: AnswerHead, dataset: Dataset, numeric: np.ndarray) -> list[np.ndarray]:
    """Probabilities for every candidate of every question of ``dataset``."""
    model.eval()
    out = []
    for begin in range(0, dataset.n, 64):
        questions = [i for i in range(begin, min(begin + 64, dataset.n))]
        rows = [dataset.rows(i) for i in questions]
        nonempty = [q for q, r in zip(questions, rows, strict=True) if len(r)]
        probs: dict[int, np.ndarray] = {q: np.zeros(0) for q in questions}
        if nonempty:
            batch = make_batch(dataset, nonempty, [dataset.rows(i) for i in nonempty], numeric)
            p = torch.sigmoid(model(batch)).numpy()
            position = 0
            for q in nonempty:
                n = len(dataset.rows(q))
                probs[q] = p[position : position + n]
                position += n
        out.extend(probs[q] for q in questions)
    model.train()
    return out
