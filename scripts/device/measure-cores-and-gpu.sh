#!/usr/bin/env bash
# One prepared measurement on the device host (16 cores + an NVIDIA H200), run through the
# gpu-device kit:  bash .device-kit/run.sh --anchors -- bash "$KIT_REPO/scripts/device/measure-cores-and-gpu.sh"
# (run.sh's --anchors adds PyTorch CPU/GPU, NumPy 16/2 threads and Sprout's fixed-512 run, all
# threads.) This adds: the tensor bench (thread scaling 1…16 at batch 128/1024, the per-phase
# profile on every core, the gpu rows), gpu.js formulations of the matmul on the GPU, and the CLI
# on all threads vs 2 (fixed 512 to 98%, and the default run) with peak RSS.
set -u
cd "${KIT_APP:?run it through the gpu-device kit}"
OUT=${OUT:-/tmp/out}
# GPU_DRY=1 (the kit's local rehearsal): the same steps, shortened.
if [ "${GPU_DRY:-0}" = 1 ]; then Q=--quick; LIM="--epochs 1 --train-limit 1500 --test-limit 500 --dev-size 300"; else Q=; LIM=; fi
FIXED="--initial-hidden-size 512 --final-hidden-size 512 --growth-epochs 0 --no-augment --warmup-epochs 0 --decay 1 --learning-rate 0.001 --patience 0 --epochs 12"
echo "== nproc $(nproc); $(grep -m1 'model name' /proc/cpuinfo)"
echo "== tensor bench: cpu (scaling, profile) and gpu"
timeout -k 5 150 node --expose-gc packages/tensor/bench/bench.mjs --only=cpu,gpu --json $Q >"$OUT/bench.txt" 2>&1
echo "rc $?"; grep -v '^{' "$OUT/bench.txt" | tail -45
echo "== gpu.js formulations on this GPU"
timeout -k 5 90 node packages/tensor/bench/gpu-formulations.mjs --json $Q 2>&1 | tee "$OUT/gpu-formulations.txt" | grep -v '^{'
for th in auto 2; do
  echo "== sprout train, fixed 512 to 98%, --threads $th"
  timeout -k 5 90 sprout train --backend cpu --threads $th $FIXED $LIM --no-report --overwrite --out /tmp/fixed-$th 2>&1 | grep -E '^(backend|epoch [0-9]+:|done)' | tail -4
done
for th in auto 2; do
  echo "== sprout train, default run, --threads $th"
  timeout -k 5 120 sprout train --backend cpu --threads $th $LIM --no-report --overwrite --out /tmp/default-$th 2>&1 | grep -E '^(backend|epoch [0-9]+:|done)' | tail -5
done
