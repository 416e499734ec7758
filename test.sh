#!/usr/bin/env bash
# Quick start, tests: installs what the tests need, runs the whole suite, then re-runs the kernel tests with AVX-512
# and with AVX2 switched off so that the narrower SIMD paths and the scalar fallbacks are exercised too.
set -uo pipefail
root="$(cd "$(dirname "$0")" && pwd)"
"$root/scripts/setup.sh" || exit 1
# setup.sh has installed ONNX Runtime, so the cross-checks against it must run: a missing peer fails them instead of
# skipping them (PRUNUS_REQUIRE_ORT=0 allows the skip).
export PRUNUS_REQUIRE_ORT="${PRUNUS_REQUIRE_ORT:-1}"
# Likewise the ONNX backend test data (libonnx-testdata): the conformance walk must run, not skip.
export PRUNUS_REQUIRE_ONNX_TESTDATA="${PRUNUS_REQUIRE_ONNX_TESTDATA:-1}"
cd "$root"
dotnet build tests/Prunus.Tests -c Release -v q -nologo || exit 1
log=$(mktemp)
status=0
suite() { # suite LABEL [VAR=VALUE ...] [-- dotnet-test-args...]
  local label=$1; shift
  local envs=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do envs+=("$1"); shift; done
  [ "${1:-}" = "--" ] && shift
  echo "== $label"
  env "${envs[@]}" dotnet test tests/Prunus.Tests -c Release --no-build -nologo "$@" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
}
suite "all tests"
suite "kernel tests, AVX-512 off" DOTNET_EnableAVX512F=0 -- --filter Category=Kernel
suite "kernel tests, AVX2 and AVX-512 off" DOTNET_EnableAVX2=0 DOTNET_EnableAVX512F=0 -- --filter Category=Kernel
# One closing line over all three runs.
passed=$(grep -oE 'Passed: +[0-9]+' "$log" | grep -oE '[0-9]+' | awk "{s+=\$1} END {print s+0}")
failed=$(grep -oE 'Failed: +[0-9]+' "$log" | grep -oE '[0-9]+' | awk "{s+=\$1} END {print s+0}")
skipped=$(grep -oE 'Skipped: +[0-9]+' "$log" | grep -oE '[0-9]+' | awk "{s+=\$1} END {print s+0}")
rm -f "$log"
echo "tests: ${passed:-0} passed, ${failed:-0} failed, ${skipped:-0} skipped"
[ "${passed:-0}" -gt 0 ] || status=1
exit $status
