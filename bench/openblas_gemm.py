#!/usr/bin/python3
"""OpenBLAS sgemm through PyTorch's torch.mm, measured like `Prunus.Benchmarks gemm-gflops`.

Prints one JSON line per (shape, threads): GFLOP/s as the median of repeated ~20 ms batches after warm-up, so the
two engines can be compared side by side on the same machine. Usage: bench/openblas_gemm.py [--repeats N] [--all]
"""
import json
import statistics
import sys
import time

import torch

SHAPES = [  # (name, M, N, K, transA, transB): C[M,N] = op(A)[M,K] op(B)[K,N]
    ("1024^3", 1024, 1024, 1024, False, False),
]
MODEL_SHAPES = [
    ("mlp1 64x784x300", 64, 300, 784, False, False),
    ("mlp2 64x300x100", 64, 100, 300, False, False),
    ("lenet-fc 64x800x500", 64, 500, 800, False, False),
    ("conv2 50x500x4096", 50, 4096, 500, False, False),
    ("conv1 20x25x36864", 20, 36864, 25, False, False),
    ("b1 1x784x300", 1, 300, 784, False, False),
    ("b1 1x800x500", 1, 500, 800, False, False),
    ("dW 784x300 (A^T B, batch 64)", 784, 300, 64, True, False),
    ("dX 64x784 (A B^T)", 64, 784, 300, False, True),
]


def measure(m, n, k, trans_a, trans_b, repeats):
    torch.manual_seed(1)
    a = torch.rand(k, m) - 0.5 if trans_a else torch.rand(m, k) - 0.5
    b = torch.rand(n, k) - 0.5 if trans_b else torch.rand(k, n) - 0.5
    out = torch.empty(m, n)
    opa = a.t() if trans_a else a
    opb = b.t() if trans_b else b

    def once():
        torch.mm(opa, opb, out=out)

    start = time.perf_counter()
    warm = 0
    while time.perf_counter() - start < 0.3 or warm < 5:
        once()
        warm += 1
    per_call = (time.perf_counter() - start) / warm
    batch = max(1, int(0.02 / per_call))
    rates = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(batch):
            once()
        rates.append(2.0 * m * n * k * batch / (time.perf_counter() - t0) / 1e9)
    return statistics.median(rates)


def main():
    repeats = 15
    shapes = list(SHAPES)
    args = sys.argv[1:]
    if "--repeats" in args:
        repeats = int(args[args.index("--repeats") + 1])
    if "--all" in args:
        shapes += MODEL_SHAPES
    for name, m, n, k, ta, tb in shapes:
        for threads in (1, 2):
            torch.set_num_threads(threads)
            g = measure(m, n, k, ta, tb, repeats)
            print(json.dumps({"engine": "openblas", "kernel": "torch.mm", "shape": name, "m": m, "n": n, "k": k,
                              "threads": threads, "gflops": round(g, 1)}), flush=True)


if __name__ == "__main__":
    main()
