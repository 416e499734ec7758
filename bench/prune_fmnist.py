#!/usr/bin/python3
"""Pruning on Fashion-MNIST: Prunus against PyTorch's torch.nn.utils.prune on the same protocols, in one run.

PyTorch side: ../shared/anchors/torch_fmnist.py (trains mlp and lenet5 for 8 epochs with the recipe, then global L1
magnitude pruning one-shot, 90% + 2 epochs fine-tuning at lr 0.005, and gradual (cubic, every 100 steps over 80% of 3
epochs) to 95%), which also exports its trained models to ONNX. Prunus side: `prunus train` with the same recipe, then
`prunus prune` with the same protocols, on its own models AND on PyTorch's exported ONNX models. Further Prunus-only
targets of the pruning issue (98% global, 2:4 with 1 epoch of fine-tuning, one-shot OBS on mlp) are run where the
method exists.

Usage: bench/prune_fmnist.py [--anchor DIR] [--work DIR] [--out docs/benchmarks.md] [--skip NAME,...]
  --anchor DIR   reuse a finished torch_fmnist.py run in DIR (torch_anchor.json and the .onnx exports) instead of running it
  --work DIR     keep Prunus-trained models here and reuse them when present (default: a fresh temporary folder)
Prints the markdown section and inserts it at the top of the output file (after its title).
"""
import argparse, datetime, json, os, platform, subprocess, sys, tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANCHORS = os.path.join(os.path.dirname(ROOT), "shared", "anchors")
CLI = os.path.join(ROOT, "src/Prunus.Cli/bin/Release/net10.0/Prunus.Cli.dll")


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sh(cmd):
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {' '.join(cmd)}\n{r.stderr[-3000:]}")
    return r.stdout


def prunus(*args):
    return json.loads(sh(["dotnet", CLI, *args, "--json", "--threads", "2"]).strip().splitlines()[-1])


def prune(model, work, name, *args):
    out = os.path.join(work, name + ".onnx")
    log(f"  prune {os.path.basename(model)} -> {name}: {' '.join(args)}")
    r = prunus("prune", model, "--out", out, "--latency-batch", "0", *args)
    log(f"    accuracy {r['accuracy']:.4f}, sparsity {r['sparsity']:.4f}")
    return r


# (key, description, PyTorch anchor key or None, Prunus arguments, target check or None)
PROTOCOLS = {
    "lenet5": [
        ("oneshot90", "one-shot global magnitude 90%, no fine-tuning", "oneshot_90_acc", ["--sparsity", "0.9"], None),
        ("ft90", "90% + 2 epochs fine-tuning", "ft90_acc", ["--sparsity", "0.9", "--epochs", "2"], None),
        ("agp95", "gradual to 95% over 3 epochs", "agp95_acc", ["--sparsity", "0.95", "--schedule", "agp", "--epochs", "3"], None),
        ("agp98", "gradual to 98% over 3 epochs (target: at most 1.0 pt below dense)", None,
         ["--sparsity", "0.98", "--schedule", "agp", "--epochs", "3"], ("dense", 1.0)),
        ("nm24", "2:4 on every Conv/Gemm + 1 epoch fine-tuning (target: at most 0.3 pt lost)", None,
         ["--granularity", "2:4", "--epochs", "1"], ("dense", 0.3)),
    ],
    "mlp": [
        ("oneshot80", "one-shot global magnitude 80%, no fine-tuning", "oneshot_80_acc", ["--sparsity", "0.8"], None),
        ("oneshot90", "one-shot global magnitude 90%, no fine-tuning", "oneshot_90_acc", ["--sparsity", "0.9"], None),
        ("ft90", "90% + 2 epochs fine-tuning", "ft90_acc", ["--sparsity", "0.9", "--epochs", "2"], None),
        ("agp95", "gradual to 95% over 3 epochs", "agp95_acc", ["--sparsity", "0.95", "--schedule", "agp", "--epochs", "3"], None),
        ("obs80", "one-shot OBS 80%, no fine-tuning (target: within 1 pt of dense)", None, ["--sparsity", "0.8", "--method", "obs"], ("dense", 1.0)),
        ("obs90", "one-shot OBS 90%, no fine-tuning (target: at least 0.80)", None, ["--sparsity", "0.9", "--method", "obs"], ("min", 0.80)),
    ],
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--anchor")
    ap.add_argument("--work")
    ap.add_argument("--out", default=os.path.join(ROOT, "docs/benchmarks.md"))
    ap.add_argument("--skip", default="", help="comma-separated protocol keys to leave out")
    ap.add_argument("--extra", default="", help="JSON list of [model, key, description, [args...]] Prunus-only runs to add")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    work = a.work or tempfile.mkdtemp(prefix="prunus-prune-")
    os.makedirs(work, exist_ok=True)
    log("building Prunus (Release)")
    sh(["dotnet", "build", "src/Prunus.Cli", "-c", "Release", "-v", "q", "-nologo"])

    anchor_dir = a.anchor or os.path.join(work, "torch")
    anchor_json = os.path.join(anchor_dir, "torch_anchor.json")
    anchor = None
    if not os.path.exists(os.path.join(anchor_dir, "lenet5.onnx")):
        log("running the PyTorch anchor (about 12 minutes on a quiet machine)")
        sh(["/usr/bin/python3", os.path.join(ANCHORS, "torch_fmnist.py"), anchor_dir, "8"])
    elif not os.path.exists(anchor_json):
        # A run still going in that folder (its ONNX exports come first): use them now, read its figures at the end.
        log(f"{anchor_json} is not written yet: pruning PyTorch's exports now, reading its figures when it is")

    rows = []
    for model, protocols in PROTOCOLS.items():
        own = os.path.join(work, f"{model}.onnx")
        if not os.path.exists(own):
            log(f"training Prunus {model} for 8 epochs")
            prunus("train", "--model", model, "--epochs", "8", "--out", own)
        sources = [("Prunus-trained", own), ("PyTorch-trained", os.path.join(anchor_dir, f"{model}.onnx"))]
        dense = {label: prunus("eval", path)["accuracy"] for label, path in sources}
        rows.append((model, "dense, 8 epochs", "acc", dense["Prunus-trained"], dense["PyTorch-trained"], ""))
        for key, desc, torch_key, args, check in protocols:
            if key in skip:
                continue
            acc = {label: prune(path, work, f"{model}-{label[:5]}-{key}", *args)["accuracy"] for label, path in sources}
            verdict = ""
            if torch_key is not None:
                verdict = ("torch", model, torch_key)
            elif check is not None and check[0] == "dense":
                loss = max(dense[l] - acc[l] for l in acc)
                verdict = f"loss {loss * 100:.2f} pt ({'meets' if loss <= check[1] / 100 else 'misses'} {check[1]} pt)"
            elif check is not None:
                verdict = "meets" if min(acc.values()) >= check[1] else f"misses {check[1]}"
            rows.append((model, desc, torch_key, acc["Prunus-trained"], acc["PyTorch-trained"], verdict))
    for model, key, desc, args in json.loads(a.extra or "[]"):
        own = os.path.join(work, f"{model}.onnx")
        acc = prune(own, work, f"{model}-extra-{key}", *args)["accuracy"]
        rows.append((model, desc, None, acc, None, ""))

    import time
    while not os.path.exists(anchor_json):
        log("waiting for the PyTorch anchor to finish")
        time.sleep(30)
    torch = json.load(open(anchor_json))
    resolved = []
    for m, d, key, p, q, v in rows:
        t = torch[m].get(key) if key else None
        if isinstance(v, tuple):
            v = "meets" if min(p, q) >= t else "below PyTorch"
        resolved.append((m, d, t, p, q, v))
    rows = resolved
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor())
    commit = sh(["git", "rev-parse", "--short", "HEAD"]).strip()
    f = lambda v: "-" if v is None else f"{v:.4f}"
    lines = [f"## Pruning on Fashion-MNIST, {datetime.date.today()}, commit {commit}", "",
             f"{cpu}, 2 threads. PyTorch {torch.get('torch')} ran ../shared/anchors/torch_fmnist.py in the same run; Prunus ran",
             "the same protocols with `prunus prune` (global L1 magnitude unless said otherwise, fine-tuning with SGD lr 0.005,",
             "momentum 0.9, weight decay 5e-4, batch 64) on its own 8-epoch models and on PyTorch's exported ones.",
             "Reproduce: `python3 bench/prune_fmnist.py`.", "",
             "| model | protocol | PyTorch | Prunus (own model) | Prunus (PyTorch's model) | |",
             "| --- | --- | ---: | ---: | ---: | --- |"]
    lines += [f"| {m} | {d} | {f(t)} | {f(p)} | {f(q)} | {v} |" for m, d, t, p, q, v in rows]
    section = "\n".join(lines) + "\n"
    print(section)
    text = open(a.out).read() if os.path.exists(a.out) else "# Benchmarks\n"
    head, _, rest = text.partition("\n")
    with open(a.out, "w") as fh:
        fh.write(head + "\n\n" + section + rest)


if __name__ == "__main__":
    main()
