#!/usr/bin/python3
"""Channel pruning of the zoo's resnet and mobilenet on Fashion-MNIST to half their FLOPs: accuracy after fine-tuning
and latency on the Prunus engine at batch 1 and 64, dense and pruned measured in the same run.

For each model: `prunus train` (the recipe, --epochs E), then `prunus prune --granularity channel --target flops
--sparsity 0.5 --round-to R --epochs F` (BatchNorm statistics recomputed after surgery, then fine-tuning at lr 0.005),
then `prunus eval` and `prunus bench --batch 1,64` on both files, alternating dense and pruned over --repeats rounds.

Usage: bench/channel_fmnist.py [--epochs 2] [--finetune 1] [--prune-args "--schedule iterative --rounds 2 --distill"]
                               [--models resnet:--depth:8,mobilenet:--width:0.5] [--work DIR] [--out docs/benchmarks.md]
"""
import argparse, datetime, json, os, platform, statistics, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLI = os.path.join(ROOT, "src/Prunus.Cli/bin/Release/net10.0/Prunus.Cli.dll")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def prunus(*args):
    r = subprocess.run(["dotnet", CLI, *args, "--json", "--threads", "2"], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"prunus {' '.join(args)} failed ({r.returncode}):\n{r.stderr[-3000:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def latency(paths, repeats):
    """Median latency per file and batch; the files alternate within every round so that a slow spell of the machine
    hits all of them alike."""
    runs = {p: {1: [], 64: []} for p in paths}
    for _ in range(repeats):
        for p in paths:
            for x in prunus("bench", p, "--batch", "1,64", "--seconds", "2")["results"]:
                runs[p][x["batch"]].append(x["median_ms"])
    return [{b: statistics.median(v) for b, v in runs[p].items()} for p in paths]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=2)
    ap.add_argument("--finetune", type=int, default=1)
    ap.add_argument("--round-to", type=int, default=4)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--prune-args", default="", help="more `prunus prune` options for the pruned model (schedule, distillation)")
    ap.add_argument("--models", default="resnet:--depth:8,mobilenet:--width:0.5")
    ap.add_argument("--work")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/benchmarks.md"))
    a = ap.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="prunus-channel-")
    os.makedirs(work, exist_ok=True)
    subprocess.run(["dotnet", "build", "src/Prunus.Cli", "-c", "Release", "-v", "q", "-nologo"], cwd=ROOT, check=True, capture_output=True)
    rows = []
    for spec in a.models.split(","):
        name, *opts = spec.split(":")
        label = f"{name} {' '.join(opts)}".strip()
        dense = os.path.join(work, f"{name}.onnx")
        if not os.path.exists(dense):
            log(f"training {label} for {a.epochs} epochs")
            prunus("train", "--model", name, *opts, "--epochs", str(a.epochs), "--out", dense)
        pruned = os.path.join(work, f"{name}-half-flops.onnx")
        log(f"channel pruning {label} to half its FLOPs, fine-tuning {a.finetune} epoch(s)")
        p = prunus("prune", dense, "--out", pruned, "--granularity", "channel", "--target", "flops", "--sparsity", "0.5",
                   "--round-to", str(a.round_to), "--epochs", str(a.finetune), "--latency-batch", "0", *a.prune_args.split())
        # The control: the dense model fine-tuned the same epochs with nothing pruned, so that the pruned model's loss
        # is not hidden by the extra epochs it trained.
        control_path = os.path.join(work, f"{name}-control-{a.finetune}.onnx")
        if os.path.exists(control_path):
            control = prunus("eval", control_path)
        else:
            log(f"control: fine-tuning the dense {label} {a.finetune} epoch(s) with nothing pruned")
            control = prunus("prune", dense, "--out", control_path, "--granularity", "channel",
                             "--sparsity", "0", "--epochs", str(a.finetune), "--latency-batch", "0")
        log("timing")
        ld, lp = latency([dense, pruned], a.repeats)
        rows.append((label, p["before"]["accuracy"], control["accuracy"], p["accuracy"], p["before"]["flops"], p["flops"],
                     p["before"]["params"], p["params"], ld[1], lp[1], ld[64], lp[64]))
        log(f"  {rows[-1]}")
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    load = os.getloadavg()[0]
    lines = [f"## Channel pruning to half the FLOPs, {datetime.date.today()}, commit {commit}", "",
             f"{cpu}, 2 threads, load average {load:.1f} at the end. Dense: `prunus train` for {a.epochs} epoch(s); pruned: `prunus prune",
             f"--granularity channel --target flops --sparsity 0.5 --round-to {a.round_to} --epochs {a.finetune}{(' ' + a.prune_args) if a.prune_args else ''}` (L1 group importance,",
             "BatchNorm recalibration, fine-tuning at lr 0.005). The control is the dense model fine-tuned the same epochs",
             "with nothing pruned (`--sparsity 0`); the loss is measured against it, so the extra epochs do not hide it.",
             "Latency: `prunus bench --batch 1,64`, dense and pruned alternating, median of "
             f"{a.repeats} runs. Reproduce: `python3 bench/channel_fmnist.py --epochs {a.epochs} --finetune {a.finetune}"
             + (f" --prune-args '{a.prune_args}'" if a.prune_args else "") + "`.", "",
             "| model | accuracy dense | dense + fine-tuning (control) | pruned + fine-tuning | MFLOPs | parameters | batch 1 ms | speed-up | batch 64 ms | speed-up |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for m, ad, ac, ap_, fd, fp, pd, pp, d1, p1, d64, p64 in rows:
        lines.append(f"| {m} | {ad:.4f} | {ac:.4f} | {ap_:.4f} ({(ap_ - ac) * 100:+.2f} pt) | {fd / 1e6:.2f} -> {fp / 1e6:.2f} | {pd:,} -> {pp:,} | "
                     f"{d1:.3f} -> {p1:.3f} | {d1 / p1:.2f}x | {d64:.2f} -> {p64:.2f} | {d64 / p64:.2f}x |")
    section = "\n".join(lines) + "\n"
    print(section)
    text = open(a.out).read() if os.path.exists(a.out) else "# Benchmarks\n"
    head, _, rest = text.partition("\n")
    open(a.out, "w").write(head + "\n\n" + section + rest)


if __name__ == "__main__":
    main()
