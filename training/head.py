"""The answer model in torch, for training; ``seedqa.qa.answer_model`` is its numpy twin.

Both compute exactly the same function (``tests/training`` checks it); this one
works on batches in which every distinct text's tokens are projected once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from seedqa.qa.answer_model import SOFTMIN_TEMPERATURE, TOKEN_FEATURES

NEG = -1e4


@dataclass
class Batch:
    """``B`` pairs over ``G`` distinct questions, as indices into one bank of ``T`` tokens.

    Every distinct text of the batch is stored once in ``bank`` and projected
    once per step; questions, sentences and contexts are index tensors into it
    (index 0 where the mask is False).
    """

    bank: torch.Tensor  # (T, D) token vectors of every distinct text
    bank_ids: torch.Tensor  # (T,) wordpiece ids
    bank_figure: torch.Tensor  # (T,) 1.0 for wordpieces that hold a digit
    q_index: torch.Tensor  # (G, n)
    q_mask: torch.Tensor  # (G, n)
    pair_question: torch.Tensor  # (B,) index into G
    s_index: torch.Tensor  # (B, m)
    s_mask: torch.Tensor
    c_index: torch.Tensor  # (B, p)
    c_mask: torch.Tensor
    hand: torch.Tensor  # (B, k)


class AnswerHead(nn.Module):
    """Alignment + token weights + answer type + MLP over hand features (see answer_model)."""

    def __init__(
        self,
        n_hand: int,
        dim: int = 384,
        align_dim: int = 64,
        type_dim: int = 32,
        hidden: int = 32,
        token_hidden: int = 8,
        hand_mean: np.ndarray | None = None,
        hand_std: np.ndarray | None = None,
        inputs: str = "both",
    ) -> None:
        super().__init__()

        def param(*shape: int, scale: float | None = None) -> nn.Parameter:
            scale = scale if scale is not None else 1.0 / np.sqrt(shape[0])
            return nn.Parameter(torch.randn(*shape) * scale)

        self.proj_w = param(dim, align_dim)
        self.proj_b = nn.Parameter(torch.zeros(align_dim))
        self.type_w = param(dim, type_dim)
        self.qtype_w = param(dim, type_dim)
        self.qtype_attn = nn.Parameter(torch.zeros(dim))
        self.imp_w = nn.Parameter(torch.zeros(dim))
        self.imp_b = nn.Parameter(torch.tensor(0.5))
        n_tok = len(TOKEN_FEATURES)
        self.tok_w1 = param(n_tok, token_hidden, scale=1.0)
        self.tok_b1 = nn.Parameter(torch.zeros(token_hidden))
        self.tok_w2 = param(token_hidden, scale=1.0 / np.sqrt(token_hidden))
        self.tok_b2 = nn.Parameter(torch.tensor(0.0))
        self.mlp_w1 = param(4 + n_hand, hidden)
        self.mlp_b1 = nn.Parameter(torch.zeros(hidden))
        self.mlp_w2 = param(hidden, scale=1.0 / np.sqrt(hidden))
        self.mlp_b2 = nn.Parameter(torch.tensor(0.0))
        mean = np.zeros(n_hand) if hand_mean is None else hand_mean
        std = np.ones(n_hand) if hand_std is None else hand_std
        self.register_buffer("hand_mean", torch.tensor(mean, dtype=torch.float32))
        self.register_buffer("hand_std", torch.tensor(std, dtype=torch.float32))
        # Which inputs the final MLP sees: "both", "reading" (route a alone) or "hand"
        # (the earlier scorer's signals alone); used to measure each part's worth.
        mask = np.ones(4 + n_hand, dtype=np.float32)
        if inputs == "reading":
            mask[4:] = 0.0
        elif inputs == "hand":
            mask[:4] = 0.0
        self.register_buffer("input_mask", torch.tensor(mask))

    def _align(self, x: torch.Tensor) -> torch.Tensor:
        z = x @ self.proj_w + self.proj_b
        return z / z.norm(dim=-1, keepdim=True).clamp_min(1e-6)

    def forward(self, b: Batch) -> torch.Tensor:
        """Logits, one per pair."""
        z = self._align(b.bank)  # (T, d)
        typed_bank = b.bank @ self.type_w  # (T, t)
        q_mask = b.q_mask[b.pair_question]
        q_index = b.q_index[b.pair_question]
        zq, zs, zc = z[q_index], z[b.s_index], z[b.c_index]
        q_ids = b.bank_ids[q_index]
        s_ids, c_ids = b.bank_ids[b.s_index], b.bank_ids[b.c_index]
        sims = zq @ zs.transpose(1, 2)  # (B, n, m)
        has_s = b.s_mask.any(dim=1, keepdim=True)
        align = sims.masked_fill(~b.s_mask[:, None, :], NEG).max(dim=2).values
        align = torch.where(has_s, align, torch.full_like(align, -1.0))
        csims = zq @ zc.transpose(1, 2)
        has_c = b.c_mask.any(dim=1, keepdim=True)
        context_align = csims.masked_fill(~b.c_mask[:, None, :], NEG).max(dim=2).values
        context_align = torch.where(has_c, context_align, torch.full_like(context_align, -1.0))
        exact = ((q_ids[:, :, None] == s_ids[:, None, :]) & b.s_mask[:, None, :]).any(2).float()
        context_exact = ((q_ids[:, :, None] == c_ids[:, None, :]) & b.c_mask[:, None, :]).any(2)
        context_exact = context_exact.float()
        figure = b.bank_figure[q_index] * q_mask
        unmatched = figure * (1.0 - torch.maximum(exact, context_exact))
        tokens = torch.stack([align, context_align, exact, context_exact, figure, unmatched], -1)
        hidden = torch.relu(tokens @ self.tok_w1 + self.tok_b1)
        support = torch.sigmoid(hidden @ self.tok_w2 + self.tok_b2)  # (B, n)
        q_vectors = b.bank[b.q_index]  # (G, n, D)
        importance = nn.functional.softplus(q_vectors @ self.imp_w + self.imp_b) + 1e-3
        importance = (importance * b.q_mask)[b.pair_question]
        weights = importance / importance.sum(dim=1, keepdim=True)
        mean_support = (weights * support).sum(1)
        logits = torch.log(weights.clamp_min(1e-30)) - SOFTMIN_TEMPERATURE * support
        logits = logits.masked_fill(~q_mask, NEG)
        min_support = (torch.softmax(logits, dim=1) * support).sum(1)
        mean_align = (weights * align).sum(1)
        covered = sims.masked_fill(~q_mask[:, :, None], NEG).max(dim=1).values  # (B, m)
        novelty = 1.0 - covered
        attention = (q_vectors @ self.qtype_attn).masked_fill(~b.q_mask, NEG)
        pooled = (torch.softmax(attention, dim=1)[:, :, None] * q_vectors).sum(1)  # (G, D)
        qtype = (pooled @ self.qtype_w)[b.pair_question]  # (B, t)
        typed = (typed_bank[b.s_index] * qtype[:, None, :]).sum(-1) * novelty
        answer_type = typed.masked_fill(~b.s_mask, NEG).max(dim=1).values
        answer_type = torch.where(has_s[:, 0], answer_type, torch.zeros_like(answer_type))
        reading = torch.stack([mean_support, min_support, mean_align, answer_type], dim=1)
        scaled = (b.hand - self.hand_mean) / self.hand_std
        x = torch.cat([reading, scaled], dim=1) * self.input_mask
        return torch.relu(x @ self.mlp_w1 + self.mlp_b1) @ self.mlp_w2 + self.mlp_b2

    def export(self) -> dict[str, np.ndarray]:
        """The parameters under the names ``AnswerModel`` reads."""
        return {
            name: value.detach().cpu().numpy().astype(np.float32)
            for name, value in list(self.named_parameters()) + list(self.named_buffers())
        }
