#!/usr/bin/python3
"""Interleaved latency comparison of model files, builds or settings on the Prunus engine.

Runs `prunus bench FILE --batch 1,64 --seconds 2 --json` for every spec in turn, REPEATS rounds (A, B, C, A, B, C,
...), and prints each spec's median of the per-run medians with every run. On a shared machine whose speed shifts
between processes, only such alternating runs compare.

Usage: bench/ab_latency.py CLI_DLL REPEATS LABEL=FILE[@VAR=VALUE][#OTHER_CLI_DLL] ...
  @VAR=VALUE sets an environment variable for that spec; #OTHER_CLI_DLL runs it with another build of the CLI.
  THREADS (environment, default 2) sets --threads.
"""
import json, os, statistics, subprocess, sys

cli, reps, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
runs = {}
for r in range(reps):
    for spec in specs:
        label, rest = spec.split("=", 1)
        rest, _, alt = rest.partition("#")
        f, _, env = rest.partition("@")
        e = dict(os.environ)
        if env:
            k, v = env.split("=", 1)
            e[k] = v
        out = subprocess.run(["dotnet", alt or cli, "bench", f, "--batch", "1,64", "--seconds", "2",
                              "--threads", os.environ.get("THREADS", "2"), "--json"],
                             capture_output=True, text=True, env=e, check=True).stdout
        for x in json.loads(out.strip().splitlines()[-1])["results"]:
            runs.setdefault((label, x["batch"]), []).append(x["median_ms"])
for (label, b), v in sorted(runs.items(), key=lambda kv: (kv[0][1], kv[0][0])):
    print(f"{label:24s} batch {b:3d}: median {statistics.median(v):.4f} ms  runs {' '.join(f'{t:.4f}' for t in v)}")
