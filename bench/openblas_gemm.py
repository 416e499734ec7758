#!/usr/bin/python3
"""OpenBLAS sgemm through PyTorch's torch.mm, measured like `Prunus.Benchmarks gemm-gflops`.

Prints one JSON line per (shape, threads): GFLOP/s as the median of repeated ~20 ms batches after warm-up, so the
two engines can be compared side by side on the same machine. Usage: bench/openblas_gemm.py [--repeats N] [--all] [--cpu] [--threads N]
--cpu times batches with the process CPU clock (as gemm-gflops --cpu does), which on a shared machine leaves out the
time other processes hold the core; meaningful for one thread only.
"""
import ctypes
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


def openblas():
    """The BLAS torch.mm calls: Debian's torch uses the system libblas.so.3 (OpenBLAS through alternatives), whose thread
    count torch.set_num_threads does not control, so it is set directly."""
    lib = ctypes.CDLL("libblas.so.3")
    if not hasattr(lib, "openblas_set_num_threads"):
        sys.exit("libblas.so.3 is not OpenBLAS: install libopenblas0-pthread or select it with update-alternatives")
    return lib


def measure(m, n, k, trans_a, trans_b, repeats, clock=time.perf_counter):
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
        t0 = clock()
        for _ in range(batch):
            once()
        rates.append(2.0 * m * n * k * batch / (clock() - t0) / 1e9)
    return statistics.median(rates)


def main():
    repeats = 15
    shapes = list(SHAPES)
    args = sys.argv[1:]
    if "--repeats" in args:
        repeats = int(args[args.index("--repeats") + 1])
    if "--all" in args:
        shapes += MODEL_SHAPES
    clock = time.process_time if "--cpu" in args else time.perf_counter
    thread_counts = (int(args[args.index("--threads") + 1]),) if "--threads" in args else (1, 2)
    blas = openblas()
    for name, m, n, k, ta, tb in shapes:
        for threads in thread_counts:
            torch.set_num_threads(threads)
            blas.openblas_set_num_threads(threads)
            assert blas.openblas_get_num_threads() == threads
            g = measure(m, n, k, ta, tb, repeats, clock)
            print(json.dumps({"engine": "openblas", "kernel": "torch.mm", "shape": name, "m": m, "n": n, "k": k,
                              "threads": threads, "gflops": round(g, 1)}), flush=True)


if __name__ == "__main__":
    main()
