#!/usr/bin/env bash
# Installs what Prunus's main job and tests need on a fresh Debian machine: the Fashion-MNIST package, the ONNX backend
# test data and python3-onnx (conformance tests and test-model generation), and ONNX Runtime for Node (cross-checks).
# Idempotent: skips what is already there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
want=(dataset-fashion-mnist python3-onnx libonnx-testdata)
if [ "${PRUNUS_SETUP_PEERS:-0}" = 1 ]; then want+=(python3-torch libopenblas0-pthread); fi
missing=()
for p in "${want[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >&2
fi
if [ "${PRUNUS_SKIP_ORT:-0}" != 1 ] && [ ! -d "$root/tools/ort/node_modules/onnxruntime-node" ]; then
  echo "setup: installing onnxruntime-node@1.30.0 into tools/ort" >&2
  (cd "$root/tools/ort" && npm install --no-audit --no-fund --ignore-scripts --silent >&2)
fi
