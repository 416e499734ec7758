#!/usr/bin/python3
"""Gradual (AGP) pruning to 95% over 3 epochs, PyTorch against Prunus over several seeds, from the same trained models.

The single-seed comparison in docs/benchmarks.md (bench/prune_fmnist.py) left Prunus 0.3-0.45 points below PyTorch on
this protocol. This runs it with several shuffling seeds on both sides, from the same starting point: PyTorch's
8-epoch models (the state dicts torch_fmnist.py saves) and their ONNX exports, which Prunus prunes.

PyTorch side (written here after ../shared/anchors/torch_fmnist.py's protocol): SGD lr 0.005, momentum 0.9, weight
decay 5e-4, batch 64, 3 epochs; every 100 steps during the first 80% of them, the pruning masks are recomputed by
global L1 magnitude over all Linear and Conv2d weights at s = 0.95 (1 - (1 - t / (0.8 T))^3); the seed sets the
shuffling. Prunus side: `prunus prune MODEL.onnx --sparsity 0.95 --schedule agp --epochs 3 --seed S`.

Usage: /usr/bin/python3 bench/agp_seeds.py --anchor DIR [--seeds 0,1,2] [--models mlp,lenet5]
  --anchor DIR   a finished torch_fmnist.py run (mlp.pt, lenet5.pt and their .onnx exports)
Needs Debian's python3-torch (hence /usr/bin/python3) and `dotnet build -c Release`.
"""
import argparse, gzip, json, os, statistics, subprocess, sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.nn.utils.prune as prune

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_models import MODELS  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "src/Prunus.Cli/bin/Release/net10.0/Prunus.Cli.dll")
DATA = "/usr/share/datasets/fashion-mnist"


def images(name):
    with gzip.open(f"{DATA}/{name}-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    with gzip.open(f"{DATA}/{name}-labels-idx1-ubyte.gz") as f:
        y = np.frombuffer(f.read(), np.uint8, offset=8).astype(np.int64)
    return torch.tensor(x / 255.0, dtype=torch.float32), torch.tensor(y)


def accuracy(m, x, y):
    m.eval()
    with torch.no_grad():
        return sum((m(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000)) / len(x)


def torch_agp(model, xtr, ytr, seed, final=0.95, epochs=3, batch=64, every=100):
    torch.manual_seed(seed)
    layers = [(m, "weight") for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv2d))]
    opt = torch.optim.SGD(model.parameters(), lr=0.005, momentum=0.9, weight_decay=5e-4)
    total = epochs * ((len(xtr) + batch - 1) // batch)
    ramp = 0.8 * total
    step = 0
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(xtr))
        for i in range(0, len(xtr), batch):
            if step % every == 0 and step <= ramp:
                s = final * (1 - (1 - min(1.0, step / ramp)) ** 3)
                for m, n in layers:
                    if prune.is_pruned(m):
                        prune.remove(m, n)
                if s > 0:
                    prune.global_unstructured(layers, pruning_method=prune.L1Unstructured, amount=s)
            b = order[i:i + batch]
            opt.zero_grad()
            F.cross_entropy(model(xtr[b]), ytr[b]).backward()
            opt.step()
            step += 1
    return model


def prunus_agp(onnx, seed, work):
    out = os.path.join(work, f"{os.path.basename(onnx)[:-5]}-agp95-s{seed}.onnx")
    r = subprocess.run(["dotnet", CLI, "prune", onnx, "--out", out, "--sparsity", "0.95", "--schedule", "agp", "--epochs", "3",
                        "--seed", str(seed), "--latency-batch", "0", "--threads", "2", "--json"], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"prunus prune failed: {r.stderr[-2000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])["accuracy"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--anchor", required=True)
    ap.add_argument("--seeds", default="0,1,2")
    ap.add_argument("--models", default="mlp,lenet5")
    ap.add_argument("--work", default="/tmp/prunus-agp-seeds")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    torch.set_num_threads(2)
    xtr, ytr = images("train")
    xte, yte = images("t10k")
    seeds = [int(s) for s in a.seeds.split(",")]
    rows = []
    for name in a.models.split(","):
        state = torch.load(os.path.join(a.anchor, f"{name}.pt"))
        dense = MODELS[name]()
        dense.load_state_dict(state)
        base = accuracy(dense, xte, yte)
        t, p = [], []
        for seed in seeds:
            m = MODELS[name]()
            m.load_state_dict(state)
            t.append(accuracy(torch_agp(m, xtr, ytr, seed), xte, yte))
            p.append(prunus_agp(os.path.join(a.anchor, f"{name}.onnx"), seed, a.work))
            print(f"{name} seed {seed}: PyTorch {t[-1]:.4f}, Prunus {p[-1]:.4f}", file=sys.stderr, flush=True)
        rows.append((name, base, t, p))
    print(f"Seeds {a.seeds}; PyTorch {torch.__version__}; both from PyTorch's 8-epoch models in {a.anchor}.")
    print()
    print("| model | dense | PyTorch per seed | PyTorch mean ± sd | Prunus per seed | Prunus mean ± sd | Prunus - PyTorch (pt) |")
    print("| --- | ---: | --- | ---: | --- | ---: | ---: |")
    for name, base, t, p in rows:
        sd = lambda v: statistics.stdev(v) if len(v) > 1 else 0.0
        print(f"| {name} | {base:.4f} | {', '.join(f'{v:.4f}' for v in t)} | {statistics.mean(t):.4f} ± {sd(t):.4f} | "
              f"{', '.join(f'{v:.4f}' for v in p)} | {statistics.mean(p):.4f} ± {sd(p):.4f} | {100 * (statistics.mean(p) - statistics.mean(t)):+.2f} |")


if __name__ == "__main__":
    main()
