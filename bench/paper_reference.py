#!/usr/bin/python3
"""The paper's model, re-implemented in plain PyTorch, for the training benchmark.

THIS IS A RE-IMPLEMENTATION, not the paper's code. The paper's implementation
uses PyTorch Geometric, which cannot be installed here (no network, not in
Debian). This script follows that implementation as the project's notes on
the paper's code describe it, with PyG's GATv2Conv semantics written out in
torch ops:

  per sample, in a Python loop over the batch:
    h   = token_embedding(x)                          [n, 128]
    e   = edge_embedding(colour of each of the n² arcs)   [n², 128]
    4 x: GATv2Conv(128 -> 16 per head, heads=8, concat, edge_dim=128,
                   LeakyReLU 0.2, add_self_loops=True, bias)
           - the (i,i) arcs are removed and refilled with the mean of the
             edge features arriving at i (so the diagonal colour is lost);
           - x_l = W_l h, x_r = W_r h, every arc's edge features projected,
             s_ji = att . LeakyReLU(x_l[j] + x_r[i] + W_e e_ji) per head,
           - softmax over the arcs into each target (scatter max / sum),
           - out_i = sum_j alpha_ji x_l[j], heads concatenated, + bias;
         then h = h + Dropout(ReLU(LayerNorm(Linear(out))))
    y   = head(h)                                     [n, 2]
  loss = mean over the batch of the per-node cross-entropy; Adam with the
  paper's three parameter groups (backbone 0.01, colour embeddings 0.03,
  token embeddings 0.1).

The breaking input is the dense orbital colouring of the dihedral group D(n)
on n points, computed here directly: the orbital of (i, j) is fixed by the
distance min((j - i) mod n, (i - j) mod n), which is also its colour id in
asen's canonical numbering (first appearance in row-major order).

For comparison: the real implementation (PyTorch + PyG), run on a machine of
this kind when the project began (bench/README.md), ran with one thread, OpenBLAS, n = 10, batch 64, at about 160
sequences/s for training and about 450 sequences/s for inference. If this
script gives numbers far from those on a quiet machine, it is not a faithful
stand-in, and the table should say so.

Usage (Debian's /usr/bin/python3, which has torch 1.13):
  /usr/bin/python3 bench/paper_reference.py [--n 10] [--batch 64] [--threads 1]
        [--warmup 3] [--min-seconds 2] [--min-steps 5] [--no-train] [--no-infer]
        [--self-test]
Prints one JSON line with the same keys as train_bench; progress on stderr.
"""

import argparse
import json
import math
import statistics
import sys
import time
import warnings

import torch
import torch.nn.functional as F
from torch import nn

VOCAB = 10
CLASSES = 2
POOL = 4  # distinct batches cycled through


def dihedral_colours(n):
    """Colour of each ordered pair (i, j), row-major, under D(n): [n*n] int64."""
    i = torch.arange(n).repeat_interleave(n)
    j = torch.arange(n).repeat(n)
    d = (j - i) % n
    return torch.minimum(d, n - d)


def complete_edge_index(n):
    """All n² arcs (s, t) in row-major order: [2, n*n]; row 0 sources, row 1 targets."""
    s = torch.arange(n).repeat_interleave(n)
    t = torch.arange(n).repeat(n)
    return torch.stack([s, t])


def scatter_softmax(scores, index, num_nodes):
    """Softmax of scores [E, H] over the entries sharing a target index [E]."""
    heads = scores.size(1)
    idx = index.unsqueeze(1).expand(-1, heads)
    peak = torch.full((num_nodes, heads), -math.inf, dtype=scores.dtype)
    peak = peak.scatter_reduce(0, idx, scores, reduce="amax", include_self=True)
    ex = (scores - peak.index_select(0, index)).exp()
    total = torch.zeros(num_nodes, heads, dtype=scores.dtype).index_add(0, index, ex)
    return ex / (total.index_select(0, index) + 1e-16)


class GATv2EdgeConv(nn.Module):
    """GATv2 with edge features, as PyG's GATv2Conv(edge_dim=..., add_self_loops=True)."""

    def __init__(self, channels, heads, edge_dim, slope=0.2):
        super().__init__()
        assert channels % heads == 0
        self.heads = heads
        self.per_head = channels // heads
        self.slope = slope
        self.lin_l = nn.Linear(channels, channels)
        self.lin_r = nn.Linear(channels, channels)
        self.lin_edge = nn.Linear(edge_dim, channels, bias=False)
        self.att = nn.Parameter(torch.empty(1, heads, self.per_head))
        self.bias = nn.Parameter(torch.zeros(channels))
        nn.init.xavier_uniform_(self.att)

    @staticmethod
    def refill_self_loops(edge_index, edge_attr, num_nodes):
        """Drops the (i, i) arcs, then appends them with the mean incoming edge features."""
        src, dst = edge_index
        keep = src != dst
        src, dst, edge_attr = src[keep], dst[keep], edge_attr[keep]
        total = torch.zeros(num_nodes, edge_attr.size(1), dtype=edge_attr.dtype).index_add(0, dst, edge_attr)
        count = torch.zeros(num_nodes, dtype=edge_attr.dtype).index_add(
            0, dst, torch.ones(dst.numel(), dtype=edge_attr.dtype))
        mean = total / count.clamp(min=1).unsqueeze(1)
        loops = torch.arange(num_nodes)
        return (torch.cat([src, loops]), torch.cat([dst, loops]), torch.cat([edge_attr, mean]))

    def forward(self, h, edge_index, edge_attr):
        n = h.size(0)
        src, dst, edge_attr = self.refill_self_loops(edge_index, edge_attr, n)
        x_l = self.lin_l(h).view(n, self.heads, self.per_head)
        x_r = self.lin_r(h).view(n, self.heads, self.per_head)
        e = self.lin_edge(edge_attr).view(-1, self.heads, self.per_head)
        x_j = x_l.index_select(0, src)
        pre = F.leaky_relu(x_j + x_r.index_select(0, dst) + e, self.slope)
        alpha = scatter_softmax((pre * self.att).sum(-1), dst, n)
        msg = x_j * alpha.unsqueeze(-1)
        out = torch.zeros(n, self.heads, self.per_head, dtype=h.dtype).index_add(0, dst, msg)
        return out.reshape(n, -1) + self.bias


class PaperModel(nn.Module):
    def __init__(self, num_colours, hidden=128, layers=4, heads=8, dropout=0.05):
        super().__init__()
        self.tokens = nn.Embedding(VOCAB, hidden)
        self.edges = nn.Embedding(num_colours, hidden)
        self.convs = nn.ModuleList(GATv2EdgeConv(hidden, heads, hidden) for _ in range(layers))
        self.lins = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.norms = nn.ModuleList(nn.LayerNorm(hidden) for _ in range(layers))
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(hidden, CLASSES)

    def forward_one(self, x, edge_index, colours):
        h = self.tokens(x)
        e = self.edges(colours)
        for conv, lin, norm in zip(self.convs, self.lins, self.norms):
            h = h + self.dropout(F.relu(norm(lin(conv(h, edge_index, e)))))
        return self.head(h)

    def forward(self, xs, edge_index, colours):
        # The paper's loop over the samples of a batch.
        return torch.stack([self.forward_one(x, edge_index, colours) for x in xs])

    def param_groups(self):
        token = list(self.tokens.parameters())
        edge = list(self.edges.parameters())
        ids = {id(p) for p in token + edge}
        backbone = [p for p in self.parameters() if id(p) not in ids]
        return [{"params": backbone, "lr": 0.01}, {"params": edge, "lr": 0.03}, {"params": token, "lr": 0.1}]


def self_test():
    """The scatter-based layer against a direct loop over targets and sources."""
    torch.manual_seed(1)
    n, hidden, heads = 5, 16, 4
    conv = GATv2EdgeConv(hidden, heads, hidden)
    h = torch.randn(n, hidden)
    edge_index = complete_edge_index(n)
    edge_attr = torch.randn(n * n, hidden)
    got = conv(h, edge_index, edge_attr)
    c = hidden // heads
    want = torch.zeros(n, hidden)
    with torch.no_grad():
        feats = {}
        for k in range(n * n):
            s, t = int(edge_index[0, k]), int(edge_index[1, k])
            if s != t:
                feats[(s, t)] = edge_attr[k]
        for t in range(n):
            feats[(t, t)] = torch.stack([feats[(s, t)] for s in range(n) if s != t]).mean(0)
        for t in range(n):
            for hd in range(heads):
                sl = slice(hd * c, (hd + 1) * c)
                scores, values = [], []
                for s in range(n):
                    xl = conv.lin_l(h[s])[sl]
                    z = xl + conv.lin_r(h[t])[sl] + conv.lin_edge(feats[(s, t)])[sl]
                    scores.append(float((F.leaky_relu(z, 0.2) * conv.att[0, hd]).sum()))
                    values.append(xl)
                w = torch.softmax(torch.tensor(scores), 0)
                want[t, sl] = sum(wi * v for wi, v in zip(w, values)) + conv.bias[sl]
    err = float((got - want).abs().max())
    print(f"self-test: max |scatter - loop| = {err:.2e}", file=sys.stderr)
    if err > 1e-5:
        sys.exit("self-test failed")


def time_steps(step, warmup, min_seconds, min_steps):
    for k in range(warmup):
        step(k)
    wall, cpu = [], []
    k = 0
    while len(wall) < min_steps or sum(wall) < min_seconds:
        c0, t0 = time.process_time(), time.perf_counter()
        step(k)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        k += 1
    return wall, cpu


def add_rates(out, prefix, wall, cpu, batch):
    out[prefix + "_samples_per_s"] = batch / statistics.median(wall)
    out[prefix + "_samples_per_s_mean"] = batch * len(wall) / sum(wall)
    out[prefix + "_samples_per_cpu_s"] = batch / statistics.median(cpu)
    out[prefix + "_step_median_ms"] = statistics.median(wall) * 1e3
    out[prefix + "_step_min_ms"] = min(wall) * 1e3
    out[prefix + "_step_cpu_median_ms"] = statistics.median(cpu) * 1e3
    out[prefix + "_steps"] = len(wall)


def main():
    warnings.filterwarnings("ignore", message=".*scatter_reduce.*")  # torch 1.13's one-time "beta" notice
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--min-seconds", type=float, default=2.0)
    ap.add_argument("--min-steps", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--no-train", action="store_true")
    ap.add_argument("--no-infer", action="store_true")
    ap.add_argument("--self-test", action="store_true", help="check the layer against a loop first")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.self_test:
        self_test()
    n = args.n
    colours = dihedral_colours(n)
    edge_index = complete_edge_index(n)
    model = PaperModel(int(colours.max()) + 1)
    xs = [torch.randint(VOCAB, (args.batch, n)) for _ in range(POOL)]
    ys = [torch.randint(CLASSES, (args.batch, n)) for _ in range(POOL)]
    out = {"system": "reference", "implementation": "bench/paper_reference.py (plain-torch re-implementation)",
           "n": n, "mode": "dense", "base": "-", "group": f"D({n})", "edges": n * n,
           "colors": int(colours.max()) + 1, "parameters": sum(p.numel() for p in model.parameters()),
           "threads": args.threads, "torch_threads": torch.get_num_threads(), "batch": args.batch,
           "warmup": args.warmup, "torch": torch.__version__}

    if not args.no_train:
        opt = torch.optim.Adam(model.param_groups())
        model.train()
        last = [0.0]

        def train_step(k):
            x, y = xs[k % POOL], ys[k % POOL]
            opt.zero_grad()
            logits = model(x, edge_index, colours)
            loss = F.cross_entropy(logits.reshape(-1, CLASSES), y.reshape(-1))
            loss.backward()
            opt.step()
            last[0] = float(loss)

        print(f"paper_reference: n={n}: training", file=sys.stderr)
        wall, cpu = time_steps(train_step, args.warmup, args.min_seconds, args.min_steps)
        add_rates(out, "train", wall, cpu, args.batch)
        out["last_loss"] = last[0]

    if not args.no_infer:
        model.eval()

        def infer_step(k):
            with torch.no_grad():
                model(xs[k % POOL], edge_index, colours)

        print(f"paper_reference: n={n}: inference", file=sys.stderr)
        wall, cpu = time_steps(infer_step, args.warmup, args.min_seconds, args.min_steps)
        add_rates(out, "infer", wall, cpu, args.batch)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
