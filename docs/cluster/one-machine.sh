#!/usr/bin/env bash
# The experiment grid on one big machine (a GPU server, or many cores): N
# shards of `npm run reproduce` side by side, each with its own results file,
# all with the same kernel choices.
#
#   npm ci && node build.mjs              # once, before: the shards must not rebuild dist/
#   docs/cluster/one-machine.sh 12        # 12 shards (default: one per 2 cores)
#   docs/cluster/one-machine.sh 12 --parts 1,2 --dry-run   # the rest goes to every shard's reproduce
#
# First one short OCGAN run times the kernel variants for the grid's layer
# shapes and stores them (OCGAN_KERNEL_CACHE); every shard then reads those
# choices instead of timing its own while the others load the machine, so
# every run computes with the same kernels. Each shard appends to
# results/fast-shard-<i>.jsonl; `npm run reproduce` treats a run recorded in
# any results/*.jsonl as done and scripts/render-results.mjs merges them, each
# run once. Stopped or killed, the same command resumes: finished runs are
# skipped and each unfinished one resumes from its checkpoint. Logs:
# runs/one-machine/shard-<i>.log. On a GPU, Dawn for Node picks the system's
# Vulkan driver (VK_ICD_FILENAMES chooses one; see "Running on Node").
set -euo pipefail
cd "$(dirname "$0")/../.."
shards=${1:-$(( ($(nproc) + 1) / 2 ))}
shift || true
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [number of shards >= 1], got '$shards'" >&2; exit 2; }
[ -f dist/cli/reproduce.mjs ] || { echo "dist/ is not built: run 'npm ci && node build.mjs' first" >&2; exit 2; }
mkdir -p runs/one-machine
export OCGAN_KERNEL_CACHE=${OCGAN_KERNEL_CACHE:-$PWD/runs/one-machine/kernel-choices.json}
if [ ! -s "$OCGAN_KERNEL_CACHE" ]; then
  echo "timing the kernel variants once (one OCGAN epoch, digit 8) into $OCGAN_KERNEL_CACHE"
  node dist/cli/main.mjs --runner node --preset fast --model ocgan --digit 8 --epochs 1 --no-baseline \
    --out runs/one-machine/tuning > runs/one-machine/tuning.log 2>&1
fi
echo "$shards shards; logs in runs/one-machine/shard-*.log"
pids=()
for ((i = 0; i < shards; i++)); do
  node dist/cli/reproduce.mjs --runner node --shard "$i/$shards" --results "results/fast-shard-$i.jsonl" "$@" \
    > "runs/one-machine/shard-$i.log" 2>&1 &
  pids+=($!)
done
trap 'kill -INT "${pids[@]}" 2>/dev/null' INT TERM  # each shard stops once its current run has ended
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
