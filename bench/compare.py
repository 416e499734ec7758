#!/usr/bin/python3
"""Side-by-side benchmark of Prunus against its peers on this machine, in one run, written to docs/benchmarks.md.

Peers: PyTorch (Debian python3-torch with libopenblas0-pthread) for training throughput and accuracy, ONNX Runtime
(npm onnxruntime-node@1.30.0 in tools/ort) for inference latency on the same ONNX files, OpenBLAS (through torch.mm)
for single-precision GEMM. Every figure is the median of repeated runs after warm-up; ratios are Prunus / peer.

Usage: bench/compare.py [--epochs N] [--skip-accuracy] [--out docs/benchmarks.md]
  --epochs N         epochs for the accuracy runs (default 8, the recipe of the targets)
  --skip-accuracy    measure speed only (minutes instead of most of an hour)
"""
import argparse, datetime, json, os, platform, re, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANCHORS = os.path.join(os.path.dirname(ROOT), "shared", "anchors")
CLI = os.path.join(ROOT, "src/Prunus.Cli/bin/Release/net10.0/Prunus.Cli.dll")
BENCH = os.path.join(ROOT, "bench/Prunus.Benchmarks/bin/Release/net10.0/Prunus.Benchmarks.dll")
NODE_PATH = os.path.join(ROOT, "tools/ort/node_modules")
THREADS = 2


def sh(cmd, env=None, check=True):
    e = dict(os.environ, **(env or {}))
    r = subprocess.run(cmd, cwd=ROOT, env=e, capture_output=True, text=True)
    if check and r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-3000:]}")
    return r.stdout


def prunus(*args):
    return json.loads(sh(["dotnet", CLI, *args, "--json"]))


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def ort_latency(model, batch):
    script = os.path.join(ROOT, "bench/ort_latency.js")
    runs = [json.loads(sh(["node", script, model, str(batch), str(THREADS)], env={"NODE_PATH": NODE_PATH}))["ms"] for _ in range(3)]
    return statistics.median(runs)


def torch_speed(model, steps):
    script = os.path.join(ROOT, "bench/torch_train_speed.py")
    runs = [float(sh(["/usr/bin/python3", script, model, str(steps)]).strip()) for _ in range(3)]
    return statistics.median(runs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=8)
    ap.add_argument("--skip-accuracy", action="store_true")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/benchmarks.md"))
    a = ap.parse_args()

    log("building Prunus (Release)")
    sh(["dotnet", "build", "src/Prunus.Cli", "-c", "Release", "-v", "q", "-nologo"])
    sh(["dotnet", "build", "bench/Prunus.Benchmarks", "-c", "Release", "-v", "q", "-nologo"])
    work = tempfile.mkdtemp(prefix="prunus-bench-")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    flags = open("/proc/cpuinfo").read()
    isa = "AVX-512" if " avx512f" in flags else "AVX2" if " avx2" in flags else "SSE"
    commit = sh(["git", "rev-parse", "--short", "HEAD"]).strip()
    torch_version = sh(["/usr/bin/python3", "-c", "import torch; print(torch.__version__)"]).strip()
    rows = {}

    # GEMM 1024^3, one and two threads.
    log("GEMM")
    ours = [json.loads(l) for l in sh(["dotnet", BENCH, "gemm-gflops"]).splitlines() if l.startswith("{")]
    blas = [json.loads(l) for l in sh(["/usr/bin/python3", os.path.join(ROOT, "bench/openblas_gemm.py")]).splitlines() if l.startswith("{")]
    rows["gemm"] = (ours, blas)

    # Training: throughput (short runs) and, unless skipped, full-recipe accuracy and peak memory.
    train = {}
    for model in ["mlp", "lenet5"]:
        log(f"training {model}")
        epochs = a.epochs if not a.skip_accuracy else 1
        out = os.path.join(work, f"{model}.onnx")
        r = prunus("train", "--model", model, "--epochs", str(epochs), "--batch", "64", "--lr", "0.01", "--momentum", "0.9",
                   "--weight-decay", "5e-4", "--seed", "0", "--threads", str(THREADS), "--out", out)
        steps = 600 if model == "mlp" else 300
        train[model] = {"prunus": r, "torch_img_s": torch_speed(model, steps), "onnx": out, "epochs": epochs}

    # Inference latency on the same ONNX file, batch 1 and 64.
    latency = {}
    for model in ["mlp", "lenet5"]:
        log(f"latency {model}")
        onnx = train[model]["onnx"]
        ours = prunus("bench", onnx, "--batch", "1,64", "--threads", str(THREADS), "--seconds", "3")["results"]
        latency[model] = {r["batch"]: (r["median_ms"], ort_latency(onnx, r["batch"])) for r in ours}

    write_report(a, cpu, isa, commit, torch_version, rows, train, latency)


def write_report(a, cpu, isa, commit, torch_version, rows, train, latency):
    date = datetime.date.today().isoformat()
    L = []
    L.append(f"## {date}, commit {commit}")
    L.append("")
    L.append(f"CPU: {cpu} ({isa}), {os.cpu_count()} cores; {THREADS} threads everywhere unless stated. "
             f"Peers: PyTorch {torch_version} (OpenBLAS), ONNX Runtime 1.30.0 (onnxruntime-node). Made by `bench/compare.py"
             f"{' --skip-accuracy' if a.skip_accuracy else ''}`.")
    L.append("")
    ours, blas = rows["gemm"]
    L.append("### GEMM (float32, GFLOP/s, median)")
    L.append("")
    L.append("| shape | threads | Prunus | OpenBLAS (torch.mm) | ratio |")
    L.append("| --- | --- | --- | --- | --- |")
    bl = {(b["shape"], b["threads"]): b["gflops"] for b in blas}
    for o in ours:
        peer = bl.get((o["shape"], o["threads"]))
        L.append(f"| {o['shape']} | {o['threads']} | {o['gflops']:.1f} | {peer:.1f} | {o['gflops'] / peer:.2f} |" if peer
                 else f"| {o['shape']} | {o['threads']} | {o['gflops']:.1f} | | |")
    L.append("")
    L.append("### Training on Fashion-MNIST (SGD 0.01, momentum 0.9, weight decay 5e-4, batch 64)")
    L.append("")
    L.append("| model | epochs | Prunus accuracy | Prunus images/s | PyTorch images/s | ratio | Prunus peak RSS |")
    L.append("| --- | --- | --- | --- | --- | --- | --- |")
    for m, t in train.items():
        p = t["prunus"]
        L.append(f"| {m} | {t['epochs']} | {p['accuracy']:.4f} | {p['images_per_second']:,.0f} | {t['torch_img_s']:,.0f} | "
                 f"{p['images_per_second'] / t['torch_img_s']:.2f} | {p.get('peak_rss_mb', 0):.0f} MB |")
    L.append("")
    L.append("PyTorch's accuracy with the same recipe, measured on this kind of machine (shared/DESIGN.md): mlp 0.8689, lenet5 0.8975.")
    L.append("")
    L.append("### Inference latency, same ONNX file (ms, median)")
    L.append("")
    L.append("| model | batch | Prunus | ONNX Runtime | ratio (lower is better) |")
    L.append("| --- | --- | --- | --- | --- |")
    for m, d in latency.items():
        for b, (ours_ms, ort_ms) in sorted(d.items()):
            L.append(f"| {m} | {b} | {ours_ms:.4f} | {ort_ms:.4f} | {ours_ms / ort_ms:.2f} |")
    L.append("")
    section = "\n".join(L) + "\n"

    header = "# Benchmarks\n\nMeasured side by side with the peers in one run of `bench/compare.py`; newest first.\n\n"
    old = open(a.out).read() if os.path.exists(a.out) else header
    body = old[len(header):] if old.startswith(header) else old
    tmp = a.out + ".tmp"
    with open(tmp, "w") as f:
        f.write(header + section + "\n" + body)
    os.replace(tmp, a.out)
    print(section)


if __name__ == "__main__":
    main()
