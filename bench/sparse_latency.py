#!/usr/bin/python3
"""Latency of pruned models on Prunus's sparse kernels against ONNX Runtime, same files, same machine, one run.

Prepares (once, in --dir) LeNet-5 and LeNet-300-100 trained for one epoch and pruned with the CLI: 90% and 95%
unstructured (global magnitude, no fine-tuning; and every layer to the same sparsity, `--scope layer`, with one epoch
of fine-tuning), 2:4 and 4x1 blocks; then, for each file and batch size (1 and 64), alternates
`prunus bench --json` and ONNX Runtime (`bench/ort_latency.js`) --repeats times at 2 threads and takes the median
of the per-run medians. Prints a markdown table: file size against the dense file, both latencies, ONNX Runtime /
Prunus, and Prunus dense / Prunus (what pruning bought on Prunus), with the date, CPU, commit and the machine's load.

The table also gives each file's test accuracy (`prunus eval`): global magnitude leaves the convolutions of LeNet-5
far denser than its fc1 (which holds 93% of the weights), so its FLOPs fall much less than its weights; `--scope
layer` cuts every layer's FLOPs by the sparsity and costs some accuracy.

Usage: bench/sparse_latency.py [--dir /tmp/prunus-sparse] [--repeats 5] [--seconds 1] [--models lenet5,mlp]
                               [--variants=,-90,-90-layer] (file suffixes; the empty one is the dense file)
Needs: `dotnet build -c Release` and tools/ort/node_modules (scripts/setup.sh).
"""
import argparse, datetime, json, os, platform, re, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "src/Prunus.Cli/bin/Release/net10.0/Prunus.Cli.dll")
NODE_PATH = os.path.join(ROOT, "tools/ort/node_modules")
THREADS = 2

# (file stem, prune arguments or None for the dense file)
VARIANTS = [
    ("", None),
    ("-90", ["--sparsity", "0.9"]),
    ("-90-layer", ["--sparsity", "0.9", "--scope", "layer", "--epochs", "1"]),
    ("-95", ["--sparsity", "0.95"]),
    ("-95-layer", ["--sparsity", "0.95", "--scope", "layer", "--epochs", "1"]),
    ("-2of4", ["--granularity", "2:4"]),
    ("-block4x1-90", ["--granularity", "block:4x1", "--sparsity", "0.9"]),
]


def sh(cmd, env=None):
    r = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, **(env or {})), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-3000:]}")
    return r.stdout


def prepare(d, model, variants):
    os.makedirs(d, exist_ok=True)
    dense = os.path.join(d, f"{model}.onnx")
    if not os.path.exists(dense):
        print(f"training {model} for one epoch", file=sys.stderr)
        sh(["dotnet", CLI, "train", "--model", model, "--epochs", "1", "--threads", str(THREADS), "--out", dense])
    files = []
    for suffix, args in VARIANTS:
        if suffix not in variants:
            continue
        path = os.path.join(d, f"{model}{suffix}.onnx")
        if args is not None and not os.path.exists(path):
            print(f"pruning {path}", file=sys.stderr)
            sh(["dotnet", CLI, "prune", dense, "--out", path, "--latency-batch", "0", "--threads", str(THREADS)] + args)
        files.append(path)
    return files


def prunus_ms(path, batch, seconds):
    out = sh(["dotnet", CLI, "bench", path, "--batch", str(batch), "--threads", str(THREADS), "--seconds", str(seconds), "--json"])
    return json.loads(out)["results"][0]["median_ms"]


def ort_ms(path, batch, seconds):
    out = sh(["node", "bench/ort_latency.js", path, str(batch), str(THREADS), str(seconds)], env={"NODE_PATH": NODE_PATH})
    return json.loads(out)["ms"]


def accuracy(path):
    return json.loads(sh(["dotnet", CLI, "eval", path, "--json", "--threads", str(THREADS)]).strip().splitlines()[-1])["accuracy"]


def kernels(path):
    """The sparse kernels the Prunus plan picked, from a profile at batch 1 (layer: kernel)."""
    out = sh(["dotnet", CLI, "bench", path, "--batch", "1", "--seconds", "0.2", "--profile", "--top", "0", "--threads", str(THREADS)])
    picked = []
    for line in out.splitlines():
        cols = re.split(r"\s{2,}", line.strip())
        if len(cols) >= 3 and cols[1] in ("Conv", "FusedConv", "Gemm", "FusedGemm", "MatMul", "FusedMatMul") and cols[0] not in [p.split()[0] for p in picked]:
            picked.append(f"{cols[0]} {cols[2]}")
    return picked


def load_report():
    la = os.getloadavg()
    top = subprocess.run(["ps", "-eo", "pcpu,comm", "--sort=-pcpu"], capture_output=True, text=True).stdout.splitlines()[1:6]
    busy = ", ".join(f"{t.split(None, 1)[1]} {t.split()[0]}%" for t in top if float(t.split()[0]) >= 20)
    return f"load average {la[0]:.1f} / {la[1]:.1f} / {la[2]:.1f} on {os.cpu_count()} cores" + (f" (busiest: {busy})" if busy else "")


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def print_header(repeats, seconds, start_load, end_load, more=""):
    """The run's date, CPU, commit, protocol and the machine's load, as the first lines of a results section."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    print(f"{datetime.date.today().isoformat()}, {cpu_model()}, {os.cpu_count()} vCPUs, {THREADS} threads, commit {commit}; "
          f"median of {repeats} alternating runs of {seconds} s each{more}.")
    print(f"Load at start: {start_load}. At end: {end_load}.")
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default="/tmp/prunus-sparse")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--models", default="lenet5,mlp")
    ap.add_argument("--variants", default=",".join(v for v, _ in VARIANTS))
    a = ap.parse_args()
    if not os.path.exists(CLI):
        sys.exit("build first: dotnet build -c Release")

    start_load = load_report()
    rows = []
    for model in a.models.split(","):
        files = prepare(a.dir, model, [""] + a.variants.split(","))
        dense_size = os.path.getsize(files[0])
        dense_ms = {}
        for path in files:
            name = os.path.basename(path)[:-5]
            acc = accuracy(path)
            for batch in (1, 64):
                p, o = [], []
                for _ in range(a.repeats):
                    p.append(prunus_ms(path, batch, a.seconds))
                    o.append(ort_ms(path, batch, a.seconds))
                pm, om = statistics.median(p), statistics.median(o)
                if path == files[0]:
                    dense_ms[batch] = pm
                rows.append((name, acc, os.path.getsize(path), dense_size, batch, pm, om, dense_ms[batch]))
                print(f"{name} batch {batch}: Prunus {pm:.4f} ms, ONNX Runtime {om:.4f} ms", file=sys.stderr)
            if path != files[0]:
                print(f"{name}: {'; '.join(kernels(path))}", file=sys.stderr)
    end_load = load_report()

    print_header(a.repeats, a.seconds, start_load, end_load)
    print("| model | accuracy | file KiB | of dense | batch | Prunus ms | ONNX Runtime ms | ORT / Prunus | Prunus dense / Prunus |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for name, acc, size, dsize, batch, pm, om, dm in rows:
        print(f"| {name} | {acc:.4f} | {size / 1024:.1f} | {100.0 * size / dsize:.1f}% | {batch} | {pm:.4f} | {om:.4f} | {om / pm:.2f}x | {dm / pm:.2f}x |")


if __name__ == "__main__":
    main()
