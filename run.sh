#!/usr/bin/env bash
# Quick start, main job: installs what it needs, builds Prunus, trains LeNet-5 on Fashion-MNIST and prints its accuracy.
# Extra arguments go to `prunus train` (e.g. ./run.sh --epochs 2).
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
PRUNUS_SKIP_ORT=1 "$root/scripts/setup.sh"
dotnet build "$root/src/Prunus.Cli" -c Release -v q -nologo -clp:ErrorsOnly >&2
# The defaults of `prunus train` are the reference recipe: 8 epochs, batch 64, SGD lr 0.01, momentum 0.9, weight decay
# 5e-4, seed 0, all cores. Options given here (e.g. --epochs 2, --model mlp) override them.
args=("$@")
model=lenet5
for ((i = 0; i < ${#args[@]}; i++)); do [ "${args[i]}" = --model ] && model="${args[i + 1]:-}"; done
[[ " ${args[*]} " == *" --model "* ]] || args=(--model "$model" "${args[@]}")
[[ " ${args[*]} " == *" --out "* ]] || args+=(--out "$root/artifacts/$model.onnx")
exec dotnet "$root/src/Prunus.Cli/bin/Release/net10.0/Prunus.Cli.dll" train "${args[@]}"
