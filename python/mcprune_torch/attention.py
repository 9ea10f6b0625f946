"""nn.MultiheadAttention after mcprune cut its head dims.

mcprune prunes attention as Torch-Pruning does by default: every head loses
the same head dims, in q, k and v and in the output projection's inputs,
while the model's width (the residual stream the attention reads and
writes) may stay. nn.MultiheadAttention cannot hold that: its q, k and v are
always ``embed_dim`` wide. apply_report therefore turns such a module into a
NarrowMultiheadAttention, the same object (parameters, hooks, state_dict
keys unchanged) with a forward that computes with the narrower heads and
keeps the scale the unpruned heads had, as the pruned MLIR does.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn


def _split(removed, width, parts):
    """The removed indices of each of `parts` consecutive slices of `width`."""
    return [frozenset(i - k * width for i in removed if k * width <= i < (k + 1) * width) for k in range(parts)]


def _per_head(removed, head_dim, heads):
    return [sum(1 for i in removed if h * head_dim <= i < (h + 1) * head_dim) for h in range(heads)]


def narrow_attention(label, mha, plan, path):
    """Checks that the plan's cuts of `mha` leave a computable attention
    (the same number of dims out of every head; q and k the same dims) and
    returns the update that makes it a NarrowMultiheadAttention after
    slicing; raises ReportError naming the module otherwise."""
    from .apply import ReportError, _join

    if not mha._qkv_same_embed_dim or mha.in_proj_weight is None:
        raise ReportError(f"{label}: apply_report supports attention with one in_proj_weight (kdim == vdim == embed_dim) only")
    if mha.bias_k is not None or mha.add_zero_attn:
        raise ReportError(f"{label}: apply_report does not support add_bias_kv or add_zero_attn")
    embed, heads = mha.embed_dim, mha.num_heads
    head_dim = embed // heads
    removed_rows = plan.get(_join(path, "in_proj_weight"), {}).get(0, frozenset())
    rq, rk, rv = _split(removed_rows, embed, 3)
    if rq != rk:
        raise ReportError(f"{label}: the report removes different dims from q and k")
    for name, r in (("q", rq), ("v", rv)):
        counts = _per_head(r, head_dim, heads)
        if len(set(counts)) > 1:
            raise ReportError(f"{label}: the report removes {counts} dims from the {heads} heads of {name}; every head must lose as many")
    out_in = plan.get(_join(path, "out_proj.weight"), {}).get(1, frozenset())
    if out_in != rv:
        raise ReportError(f"{label}: out_proj's inputs and v lose different dims")
    scale = 1.0 / math.sqrt(head_dim)

    def update():
        width = mha.in_proj_weight.shape[1]
        mha.__class__ = NarrowMultiheadAttention
        mha.qk_dim, mha.v_dim = embed - len(rq), embed - len(rv)
        mha.head_dim = mha.qk_dim // heads
        mha.scale = scale
        mha.embed_dim = mha.kdim = mha.vdim = width
        # Keeps nn.TransformerEncoderLayer off its fused path, which assumes full-width heads.
        mha._qkv_same_embed_dim = False

    return update


class NarrowMultiheadAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention whose q and k are ``qk_dim`` wide and v
    ``v_dim`` wide (all heads together), scaled by the unpruned heads'
    ``scale``. Made by apply_report from an nn.MultiheadAttention; the same
    call signature and results (attention weights averaged over heads
    unless ``average_attn_weights=False``)."""

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        batched = query.dim() == 3
        if not batched:
            query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
            if key_padding_mask is not None:
                key_padding_mask = key_padding_mask.unsqueeze(0)
        if self.batch_first:
            query, key, value = (x.transpose(0, 1) for x in (query, key, value))
        # Sequence-first from here: (L, B, E).
        length, batch, _ = query.shape
        source = key.shape[0]
        w_q, w_k, w_v = self.in_proj_weight.split([self.qk_dim, self.qk_dim, self.v_dim])
        b_q = b_k = b_v = None
        if self.in_proj_bias is not None:
            b_q, b_k, b_v = self.in_proj_bias.split([self.qk_dim, self.qk_dim, self.v_dim])
        heads = self.num_heads

        def split_heads(x, w, b):
            return F.linear(x, w, b).reshape(x.shape[0], batch * heads, -1).transpose(0, 1)

        q, k, v = split_heads(query, w_q, b_q), split_heads(key, w_k, b_k), split_heads(value, w_v, b_v)
        scores = torch.bmm(q, k.transpose(1, 2)) * self.scale
        scores = scores + self._mask(attn_mask, key_padding_mask, is_causal, batch, length, source, scores.dtype, scores.device)
        attn = torch.softmax(scores, dim=-1)
        if self.training and self.dropout > 0:
            attn = F.dropout(attn, p=self.dropout)
        out = torch.bmm(attn, v).transpose(0, 1).reshape(length, batch, self.v_dim)
        out = self.out_proj(out)
        if self.batch_first:
            out = out.transpose(0, 1)
        if not batched:
            out = out.squeeze(1)
        weights = None
        if need_weights:
            weights = attn.reshape(batch, heads, length, source)
            if average_attn_weights:
                weights = weights.mean(dim=1)
            if not batched:
                weights = weights.squeeze(0)
        return out, weights

    def _mask(self, attn_mask, key_padding_mask, is_causal, batch, length, source, dtype, device):
        """attn_mask and key_padding_mask as one additive mask of shape
        (batch * heads, length, source), as nn.MultiheadAttention reads
        them (True or -inf: masked)."""
        mask = torch.zeros(batch * self.num_heads, length, source, dtype=dtype, device=device)

        def additive(m):
            if m.dtype == torch.bool:
                return torch.zeros(m.shape, dtype=dtype, device=device).masked_fill(m, float("-inf"))
            return m.to(dtype)

        if attn_mask is None and is_causal:
            attn_mask = torch.ones(length, source, dtype=torch.bool, device=device).triu(1)
        if attn_mask is not None:
            m = additive(attn_mask)
            mask = mask + (m.unsqueeze(0) if m.dim() == 2 else m)
        if key_padding_mask is not None:
            m = additive(key_padding_mask).reshape(batch, 1, 1, source)
            mask = (mask.reshape(batch, self.num_heads, length, source) + m).reshape(batch * self.num_heads, length, source)
        return mask
