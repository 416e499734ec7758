#!/usr/bin/python3
"""Static int8 quantization on Fashion-MNIST: Prunus against PyTorch's FX post-training int8, and ONNX Runtime on the
same QDQ files, in one run.

PyTorch side: ../shared/anchors/torch_fmnist.py (trains mlp and lenet5 for 8 epochs with the recipe, quantizes them
with FX static int8 on 1000 training images) and its ONNX exports. Prunus side: `prunus train` with the same recipe,
then `prunus quantize --mode static` with each calibration method on its own models AND on PyTorch's exported ones;
ONNX Runtime evaluates every float model and every QDQ file Prunus wrote. Target: at most 0.2 points lost.

Usage: bench/quant_fmnist.py [--anchor DIR] [--work DIR] [--out docs/benchmarks.md] [--methods m1,m2] [--extra "ARGS"]
  --anchor DIR   reuse a finished torch_fmnist.py run in DIR (torch_anchor.json and the .onnx exports)
  --work DIR     keep Prunus-trained models here and reuse them when present (default: a fresh temporary folder)
  --extra ARGS   one more Prunus configuration to add to every model, repeatable (default: "--full-range", 8-bit
                 weights, and "--float-outputs", logits left float)
Prints the markdown section and inserts it at the top of the output file (after its title).
"""
import argparse, datetime, json, os, platform, shlex, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANCHORS = os.path.join(os.path.dirname(ROOT), "shared", "anchors")
CLI = os.path.join(ROOT, "src/Prunus.Cli/bin/Release/net10.0/Prunus.Cli.dll")
METHODS = ["minmax", "moving-average", "percentile", "entropy", "mse"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd, env=None):
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-3000:]}")
    return r.stdout


def prunus(*args):
    return json.loads(sh(["dotnet", CLI, *args, "--json", "--threads", "2"]).strip().splitlines()[-1])


def ort_accuracy(model):
    env = dict(os.environ, NODE_PATH=os.path.join(ROOT, "tools/ort/node_modules"))
    return json.loads(sh(["node", os.path.join(ROOT, "bench/ort_accuracy.js"), model, "", "2"], env=env))["accuracy"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--anchor")
    ap.add_argument("--work")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/benchmarks.md"))
    ap.add_argument("--methods", default=",".join(METHODS))
    ap.add_argument("--extra", action="append")
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="prunus-quant-")
    os.makedirs(work, exist_ok=True)
    log("building Prunus (Release)")
    sh(["dotnet", "build", "src/Prunus.Cli", "-c", "Release", "-v", "q", "-nologo"])
    if not os.path.isdir(os.path.join(ROOT, "tools/ort/node_modules/onnxruntime-node")):
        sys.exit("ONNX Runtime for Node is missing: run scripts/setup.sh")

    anchor_dir = a.anchor or os.path.join(work, "torch")
    if not os.path.exists(os.path.join(anchor_dir, "torch_anchor.json")):
        log("running the PyTorch anchor (about 12 minutes on a quiet machine)")
        sh(["/usr/bin/python3", os.path.join(ANCHORS, "torch_fmnist.py"), anchor_dir, "8"])
    torch = json.load(open(os.path.join(anchor_dir, "torch_anchor.json")))

    configs = [(m, ["--calibration", m]) for m in a.methods.split(",") if m]
    for extra in a.extra if a.extra is not None else ["--full-range", "--float-outputs"]:
        configs.append((extra.replace("--", "").strip(), shlex.split(extra)))
    rows, commands = [], []
    for model in ["mlp", "lenet5"]:
        own = os.path.join(work, f"{model}.onnx")
        if not os.path.exists(own):
            log(f"training Prunus {model} for 8 epochs")
            prunus("train", "--model", model, "--epochs", "8", "--out", own)
        for label, path in [("Prunus-trained", own), ("PyTorch-trained", os.path.join(anchor_dir, f"{model}.onnx"))]:
            float_ort = ort_accuracy(path)
            for name, args in configs:
                out = os.path.join(work, f"{model}-{label[:5].lower()}-{name.replace(' ', '_')}.onnx")
                cmd = ["quantize", path, "--out", out, "--latency-batch", "0", *args]
                log(f"  prunus {' '.join(cmd)}")
                commands.append("prunus " + " ".join(shlex.quote(c) for c in cmd))
                r = prunus(*cmd)
                before, after = r["before"]["accuracy"], r["accuracy"]
                q_ort = ort_accuracy(out)
                log(f"    Prunus {before:.4f} -> {after:.4f}, ONNX Runtime {float_ort:.4f} -> {q_ort:.4f}, "
                    f"{r['before']['file_bytes']} -> {r['file_bytes']} bytes")
                rows.append((model, label, name, before, after, float_ort, q_ort, r["before"]["file_bytes"], r["file_bytes"]))

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    commit = sh(["git", "rev-parse", "--short", "HEAD"]).strip()
    lines = [f"## Static int8 quantization on Fashion-MNIST, {datetime.date.today()}, commit {commit}", "",
             f"{cpu}, 2 threads. PyTorch {torch.get('torch')} (../shared/anchors/torch_fmnist.py, FX static int8 on 1000 training",
             f"images): mlp {torch['mlp']['acc']:.4f} -> {torch['mlp'].get('int8_acc', float('nan')):.4f}, lenet5 "
             f"{torch['lenet5']['acc']:.4f} -> {torch['lenet5'].get('int8_acc', float('nan')):.4f}. Prunus: `prunus quantize --mode static` "
             "(int8 per-channel symmetric weights in 7 bits, uint8 asymmetric activations, 1024 calibration images, bias correction)",
             "on its own 8-epoch models and on PyTorch's exports; ONNX Runtime 1.30 ran the same float and QDQ files. On CPUs without",
             "VNNI (this one), ONNX Runtime's uint8 x int8 kernels saturate int16 pair sums on 8-bit weights (`full-range` rows);",
             "7-bit weights make its sums exact. Target: at most 0.2 points lost. Reproduce: `python3 bench/quant_fmnist.py`.", "",
             "| model | trained by | calibration | Prunus float | Prunus int8 | lost (pt; minus: gained) | ONNX Runtime float | ONNX Runtime int8 | file (KiB) | |",
             "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for m, label, name, b, q, fo, qo, fb, qb in rows:
        lost = (b - q) * 100
        verdict = "meets" if lost <= 0.2 and (fo - qo) * 100 <= 0.2 else "misses"
        lines.append(f"| {m} | {label} | {name} | {b:.4f} | {q:.4f} | {lost:+.2f} | {fo:.4f} | {qo:.4f} | {fb / 1024:.0f} -> {qb / 1024:.0f} | {verdict} |")
    lines += ["", "Commands (models in the work folder):", "", "```sh"] + commands + ["```"]
    section = "\n".join(lines) + "\n"
    print(section)
    text = open(a.out).read() if os.path.exists(a.out) else "# Benchmarks\n"
    head, _, rest = text.partition("\n")
    with open(a.out, "w") as fh:
        fh.write(head + "\n\n" + section + rest)


if __name__ == "__main__":
    main()
