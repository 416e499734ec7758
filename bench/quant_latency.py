#!/usr/bin/python3
"""Latency of int8 models on Prunus's integer kernels against Prunus fp32 and ONNX Runtime, same files, one run.

Prepares (once, in --dir) LeNet-5 and LeNet-300-100 trained for --train-epochs, their static int8 QDQ files
(`prunus quantize`), and two 90%-sparse LeNet-5 quantized the same way: global magnitude with 2 epochs of
fine-tuning, and every layer at 90% (`--scope layer`) with 4 distilled epochs.
Then, for each model and batch size (1 and 64), runs Prunus fp32, Prunus int8, ONNX Runtime int8 and ONNX
Runtime fp32 in turn (`prunus bench --json`, `bench/ort_latency.js`), --repeats times at 2 threads, and takes the
median of the per-run medians. Accuracy of
every file comes from `prunus eval`.

The table answers issue 6's speed targets: int8 against fp32 on Prunus (at least 2x, never slower), Prunus against
ONNX Runtime on the same QDQ file (faster), and the 90%-sparse int8 LeNet-5 against ONNX Runtime running the dense
fp32 file (at least 5x, at most 0.5 points below dense).

Usage: bench/quant_latency.py [--dir /tmp/prunus-quant] [--repeats 7] [--seconds 1] [--models lenet5,mlp]
                              [--train-epochs 8] [--extra "--full-range"]
Needs: `dotnet build -c Release` and tools/ort/node_modules (scripts/setup.sh).
"""
import argparse, json, os, shlex, statistics, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sparse_latency import CLI, THREADS, load_report, ort_ms, print_header, prunus_ms, sh  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def prunus_json(*args):
    return json.loads(sh(["dotnet", CLI, *args, "--threads", str(THREADS), "--json"]).strip().splitlines()[-1])


def prepare(d, model, epochs, extra):
    """(label, fp32 file, int8 file) pairs for one model; files are made once and reused."""
    os.makedirs(d, exist_ok=True)
    dense = os.path.join(d, f"{model}.onnx")
    if not os.path.exists(dense):
        log(f"training {model} for {epochs} epochs")
        sh(["dotnet", CLI, "train", "--model", model, "--epochs", str(epochs), "--threads", str(THREADS), "--out", dense])
    pairs = [(model, dense)]
    if model == "lenet5":
        sparse = os.path.join(d, f"{model}-90.onnx")
        if not os.path.exists(sparse):
            log(f"pruning {sparse}")
            sh(["dotnet", CLI, "prune", dense, "--out", sparse, "--sparsity", "0.9", "--epochs", "2", "--latency-batch", "0",
                "--threads", str(THREADS)])
        pairs.append((f"{model}-90", sparse))
        # Every layer pruned to 90% (`--scope layer`): each layer's FLOPs fall by 90%, where global magnitude keeps the
        # convolutions far denser (see docs/benchmarks.md); four distilled epochs keep it within 0.5 pt of dense.
        per_layer = os.path.join(d, f"{model}-90-layer.onnx")
        if not os.path.exists(per_layer):
            log(f"pruning {per_layer}")
            sh(["dotnet", CLI, "prune", dense, "--out", per_layer, "--sparsity", "0.9", "--scope", "layer", "--epochs", "4",
                "--distill", "--latency-batch", "0", "--threads", str(THREADS)])
        pairs.append((f"{model}-90-layer", per_layer))
    out = []
    for label, fp32 in pairs:
        int8 = fp32[:-5] + "-int8.onnx"
        if not os.path.exists(int8):
            log(f"quantizing {int8}")
            sh(["dotnet", CLI, "quantize", fp32, "--out", int8, "--latency-batch", "0", "--threads", str(THREADS)] + extra)
        out.append((label, fp32, int8))
    return out


def accuracy(path):
    return prunus_json("eval", path)["accuracy"]


def timed(fp32, int8, batch, repeats, seconds):
    """Medians of Prunus fp32, Prunus int8, ONNX Runtime int8 and ONNX Runtime fp32, the four interleaved in every
    repeat: this machine's speed shifts between processes by up to 1.6x (all layers alike), and interleaving
    exposes the four to the same shifts."""
    runs = [[], [], [], []]
    for _ in range(repeats):
        runs[0].append(prunus_ms(fp32, batch, seconds))
        runs[1].append(prunus_ms(int8, batch, seconds))
        runs[2].append(ort_ms(int8, batch, seconds))
        runs[3].append(ort_ms(fp32, batch, seconds))
    return [statistics.median(r) for r in runs]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default="/tmp/prunus-quant")
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--models", default="lenet5,mlp")
    ap.add_argument("--train-epochs", type=int, default=8)
    ap.add_argument("--extra", default="", help="more `prunus quantize` arguments, e.g. --full-range")
    a = ap.parse_args()
    if not os.path.exists(CLI):
        sys.exit("build first: dotnet build -c Release")

    start_load = load_report()
    rows, accs = [], {}
    dense_ort = {}
    for model in a.models.split(","):
        for label, fp32, int8 in prepare(a.dir, model, a.train_epochs, shlex.split(a.extra)):
            accs[label] = (accuracy(fp32), accuracy(int8), os.path.getsize(fp32), os.path.getsize(int8))
            for batch in (1, 64):
                pf, pq, oq, of = timed(fp32, int8, batch, a.repeats, a.seconds)
                if label == model:
                    dense_ort[(model, batch)] = of
                rows.append((label, batch, pf, pq, oq, of, dense_ort[(model, batch)]))
                log(f"{label} batch {batch}: Prunus fp32 {pf:.4f} int8 {pq:.4f} ms; ONNX Runtime fp32 {of:.4f} int8 {oq:.4f} ms")
    end_load = load_report()

    print_header(a.repeats, a.seconds, start_load, end_load, f"; quantize arguments: `{a.extra or '(defaults)'}`")
    print("| model | batch | Prunus fp32 ms | Prunus int8 ms | ORT int8 ms | ORT fp32 ms | int8 / fp32 speed-up | ORT int8 / Prunus int8 | ORT dense fp32 / Prunus int8 |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for label, batch, pf, pq, oq, of, od in rows:
        print(f"| {label} | {batch} | {pf:.4f} | {pq:.4f} | {oq:.4f} | {of:.4f} | {pf / pq:.2f}x | {oq / pq:.2f}x | {od / pq:.2f}x |")
    print()
    print("| model | fp32 accuracy | int8 accuracy | fp32 KiB | int8 KiB |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for label, (fa, qa, fb, qb) in accs.items():
        print(f"| {label} | {fa:.4f} | {qa:.4f} | {fb / 1024:.1f} | {qb / 1024:.1f} |")


if __name__ == "__main__":
    main()
