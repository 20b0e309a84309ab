#!/usr/bin/env bash
# The kernel bench (npm run bench -- --parts kernel) on a GPU host that has no Node, beside torch's anchors
# (Inductor, cuBLAS; scripts/gpu/torch_bench.py), and issue 11's ratio table (scripts/gpu/compare.py).
#
#   bash scripts/gpu-bench.sh pack DIR      here: DIR/ gets what that host lacks (about 30 MB, all .xz)
#   bash scripts/gpu-bench.sh run DIR OUT   there: unpacks DIR/ into /tmp, runs both benches, writes OUT/
#                                           (SWEEP=1: scripts/gpu/kernel-sweep.ts as well)
#
# What is packed: this checkout's committed tree (git archive HEAD), the Node binary running here, and
# the node_modules the bench loads at run time: tsx and the esbuild binary it transpiles with,
# @petamoriken/float16 (spec/f16.ts), and the `webgpu` package with only its linux-x64 Dawn addon. Nothing is bundled: the carried node runs the .ts
# sources through the carried tsx, as `npm run bench` does here. The Vulkan loader (libvulkan.so.1) is
# carried too, for a host whose ldconfig has none; the NVIDIA driver's own ICD is used there.
# The GPU host must be x86-64 Linux with glibc, like this machine (the device tool's hosts are).
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

pack() {
  local dir=$1 root
  root=$(git rev-parse --show-toplevel)
  mkdir -p "$dir"
  rm -f "$dir"/*.xz
  git -C "$root" archive --format=tar HEAD | xz -T2 -6 >"$dir/src.tar.xz"
  xz -T2 -6 -c "$(command -v node)" >"$dir/node.xz"
  # The node_modules the kernel part needs, webgpu without its other platforms' addons.
  tar -C "$root" -cf - \
    node_modules/tsx node_modules/esbuild node_modules/@esbuild/linux-x64 node_modules/@petamoriken/float16 \
    node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/types.d.ts node_modules/webgpu/dist/linux-x64 \
    | xz -T2 -6 >"$dir/node_modules.tar.xz"
  local loader
  loader=$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64/ { print $NF; exit }')
  if [ -n "$loader" ]; then xz -T2 -6 -c "$(readlink -f "$loader")" >"$dir/libvulkan.so.1.xz"; fi
  du -ch "$dir"/*.xz | tail -1
}

run() {
  local dir=$1 out=$2 work=/tmp/wgfuse-gpu
  mkdir -p "$work/lib" "$out"
  xz -dc "$dir/node.xz" >"$work/node" && chmod +x "$work/node"
  xz -dc "$dir/src.tar.xz" | tar -C "$work" -xf -
  xz -dc "$dir/node_modules.tar.xz" | tar -C "$work" -xf -
  if ! ldconfig -p | grep -q 'libvulkan\.so\.1' && [ -f "$dir/libvulkan.so.1.xz" ]; then
    xz -dc "$dir/libvulkan.so.1.xz" >"$work/lib/libvulkan.so.1"
    export LD_LIBRARY_PATH="$work/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  local icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
  if [ -z "${VK_DRIVER_FILES:-}${VK_ICD_FILENAMES:-}" ] && [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; fi
  { command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.mem,clocks.max.sm,temperature.gpu --format=csv || true; } 2>&1 | tee "$out/gpu-before.txt"
  # Extra bench options (e.g. --matmul-configs 64x64x8) come from BENCH_ARGS.
  # shellcheck disable=SC2086
  (cd "$work" && WGFUSE_BACKEND=vulkan timeout "${BENCH_TIMEOUT:-300}" "$work/node" node_modules/tsx/dist/cli.mjs scripts/bench.ts --parts kernel \
    --kernel-log2 "${KERNEL_LOG2:-24,26}" ${BENCH_ARGS:-} --json "$out/wgfuse-kernel.json") 2>&1 | grep -v 'artificially reduced' | tee "$out/wgfuse-kernel.txt" || true
  # SWEEP=1: hand-written WGSL shapes of the chain and a copy too (scripts/gpu/kernel-sweep.ts).
  if [ "${SWEEP:-0}" = 1 ]; then
    (cd "$work" && timeout "${SWEEP_TIMEOUT:-180}" "$work/node" node_modules/tsx/dist/cli.mjs scripts/gpu/kernel-sweep.ts \
      --log2 "${KERNEL_LOG2:-24,26}" --json "$out/sweep.json") 2>&1 | grep -v 'artificially reduced' | tee "$out/sweep.txt" || true
  fi
  if command -v python3 >/dev/null && python3 -c 'import torch; assert torch.cuda.is_available()' 2>/dev/null; then
    PYTHONUNBUFFERED=1 timeout "${TORCH_TIMEOUT:-240}" python3 "$work/scripts/gpu/torch_bench.py" --log2 "${KERNEL_LOG2:-24,26}" --json "$out/torch.json" 2>&1 | tee "$out/torch.txt" || true
    if [ -f "$out/wgfuse-kernel.json" ] && [ -f "$out/torch.json" ]; then python3 "$work/scripts/gpu/compare.py" "$out/wgfuse-kernel.json" "$out/torch.json" | tee "$out/compare.md"; fi
  else
    echo 'torch: no python3 with CUDA torch here; anchors skipped' | tee "$out/torch.txt"
  fi
  { command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,clocks.sm,clocks.mem,temperature.gpu --format=csv || true; } 2>&1 | tee "$out/gpu-after.txt"
}

case "${1:-}" in
  pack) [ $# -eq 2 ] || { usage; exit 2; }; pack "$2" ;;
  run) [ $# -eq 3 ] || { usage; exit 2; }; run "$2" "$3" ;;
  -h | --help) usage ;;
  *) usage; exit 2 ;;
esac
