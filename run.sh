#!/usr/bin/env bash
# Quick start, main job: installs what it needs, builds Prunus, trains LeNet-5 on Fashion-MNIST and prints its accuracy.
# Extra arguments go to `prunus train` (e.g. ./run.sh --epochs 2).
set -euo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
PRUNUS_SKIP_ORT=1 "$root/scripts/setup.sh"
dotnet build "$root/src/Prunus.Cli" -c Release -v q -nologo >&2
exec dotnet "$root/src/Prunus.Cli/bin/Release/net10.0/Prunus.Cli.dll" train --model lenet5 --epochs 8 --batch 64 --lr 0.01 \
  --momentum 0.9 --weight-decay 5e-4 --seed 0 --threads 2 --out "$root/artifacts/lenet5.onnx" "$@"
