#!/bin/bash
# The experiment grid as a Slurm array job: each array task runs one shard of
# `npm run reproduce` (task k of N runs the grid entries whose index % N == k;
# the shard is read from SLURM_ARRAY_TASK_ID, _MIN and _COUNT).
#
# Before submitting, in a checkout on a filesystem every node mounts:
#   npm ci && node build.mjs          # once: the tasks must not rebuild dist/ at the same time
#   mkdir -p runs/slurm && sbatch docs/cluster/slurm-array.sh
# Runs are resumable: resubmit the same script after a timeout or a node
# failure and every task skips what is recorded and resumes what was killed.
# Each task appends to its own results file; `npm run reproduce` treats a run
# recorded in any results/*.jsonl as done, and scripts/render-results.mjs
# merges them all into results/README.md, each run once.
#SBATCH --job-name=ocgan-grid
#SBATCH --array=0-9
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --time=24:00:00
#SBATCH --output=runs/slurm/%A_%a.log
# On GPU nodes, ask for one (--gres=gpu:1) and keep --runner node: Dawn then
# uses the node's Vulkan driver instead of SwiftShader.
set -euo pipefail
cd "${SLURM_SUBMIT_DIR:?submit this with sbatch from the checkout}"
exec nice node dist/cli/reproduce.mjs --runner node --results "results/fast-slurm-${SLURM_ARRAY_TASK_ID}.jsonl"
