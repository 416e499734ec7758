#!/usr/bin/python3
"""Latency of the PyTorch-exported test models (tests/Prunus.Tests/RealModels/data) on the Prunus engine and on ONNX
Runtime, side by side in one run on the same files, printed as a markdown table.

Prunus: `prunus bench MODEL --batch B --threads T --json` (Release build of src/Prunus.Cli). ONNX Runtime: npm
onnxruntime-node in tools/ort through bench/ort_latency.js, all graph optimizations on. Both feed the batch size as the
first dimension of every input. Each figure is the median over --repeats runs of each tool (each run itself a median
of timed runs after warm-up); the ratio is Prunus / ONNX Runtime (below 1: Prunus is faster).

Usage: bench/compare_real_models.py [--batches 1,8] [--threads 2] [--repeats 3] [--seconds 2] [--models a,b]
"""
import argparse, datetime, glob, json, os, platform, statistics, subprocess, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests/Prunus.Tests/RealModels/data")
CLI = os.path.join(ROOT, "src/Prunus.Cli/bin/Release/net10.0/Prunus.Cli.dll")
NODE_PATH = os.path.join(ROOT, "tools/ort/node_modules")


def sh(cmd, env=None):
    r = subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, **(env or {})), capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-3000:]}")
    return r.stdout


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def prunus_ms(model, batches, threads, seconds):
    """{batch: median ms} from one `prunus bench` run over all batch sizes."""
    out = sh(["dotnet", CLI, "bench", model, "--batch", ",".join(map(str, batches)), "--threads", str(threads),
              "--seconds", str(seconds), "--json"])
    result = json.loads(out.strip().splitlines()[-1])
    return {r["batch"]: r["median_ms"] for r in result["results"]}


def ort_ms(model, batch, threads, seconds):
    out = sh(["node", os.path.join(ROOT, "bench/ort_latency.js"), model, str(batch), str(threads), str(seconds)],
             env={"NODE_PATH": NODE_PATH})
    return json.loads(out.strip().splitlines()[-1])["ms"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--batches", default="1,8")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0, help="measuring time of each run, per batch size")
    ap.add_argument("--models", default="", help="comma-separated model names (default: every .onnx in the data folder)")
    ap.add_argument("--no-build", action="store_true", help="use the Release build as it is")
    a = ap.parse_args()
    batches = [int(b) for b in a.batches.split(",")]
    # Models with dynamic dimensions besides the batch (NAME_dyn_...) are left out unless named: both tools would run
    # them with 1 for those dimensions.
    names = a.models.split(",") if a.models else sorted(
        n for n in (os.path.basename(p)[:-5] for p in glob.glob(os.path.join(DATA, "*.onnx"))) if "_dyn" not in n)
    if not os.path.isdir(os.path.join(NODE_PATH, "onnxruntime-node")):
        sys.exit("ONNX Runtime for Node is missing: run scripts/setup.sh")
    if not a.no_build:
        log("building Prunus (Release)")
        sh(["dotnet", "build", "src/Prunus.Cli", "-c", "Release", "-v", "q", "-nologo"])

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    commit = sh(["git", "rev-parse", "--short", "HEAD"]).strip()
    load = os.getloadavg()[0]

    rows = []
    for name in names:
        model = os.path.join(DATA, name + ".onnx")
        ours = {b: [] for b in batches}
        peer = {b: [] for b in batches}
        # Alternate the two tools so that a change in the machine's load hits both alike.
        for r in range(a.repeats):
            log(f"{name}: run {r + 1}/{a.repeats}")
            for b, ms in prunus_ms(model, batches, a.threads, a.seconds).items():
                ours[b].append(ms)
            for b in batches:
                peer[b].append(ort_ms(model, b, a.threads, a.seconds))
        for b in batches:
            p, o = statistics.median(ours[b]), statistics.median(peer[b])
            rows.append((name, b, p, o, p / o, min(ours[b]), min(peer[b])))

    print(f"Latency, {a.threads} threads, median of {a.repeats} runs per tool (min in parentheses); "
          f"{datetime.date.today()}, {cpu}, commit {commit}, load average {load:.1f} at the start.\n")
    print("| model | batch | Prunus ms | ONNX Runtime ms | Prunus / ORT |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, b, p, o, ratio, pmin, omin in rows:
        print(f"| {name} | {b} | {p:.3f} ({pmin:.3f}) | {o:.3f} ({omin:.3f}) | {ratio:.2f} |")
    if load > (os.cpu_count() or 1):
        print(f"\nThe machine was shared and busy (load average {load:.1f} on {os.cpu_count()} cores): the figures are noisy.")


if __name__ == "__main__":
    main()
