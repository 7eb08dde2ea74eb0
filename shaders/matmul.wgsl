// The engine's one matrix product, and the column sums of a linear layer's
// bias gradient. src/ops/matmul.ts runs matmul and linear on it, and
// src/ops/conv.ts the product half of a convolution's input gradient
// (dcols = wᵀ · dy, before col2im).
//
// matmul computes, for every batch b < batches,
//     c[b][i, j] = Σ_{k < depth} a[b][i, k] · b[b][k, j]  (+ bias[i, j])
// with every operand addressed through strides:
//     a[b][i, k] = a[b * a_batch + i * a_row + k * a_depth]
//     b[b][k, j] = b[b * b_batch + j * b_col + k * b_depth]
//     c[b][i, j] = c_out[b * c_batch + i * c_row + j * c_col]
//     bias[i, j] = bias[i * bias_row + j * bias_col]
// Transposes are strides, so one kernel serves A·B, A·Bᵀ and Aᵀ·B.
//
// Each invocation computes an 8x8 block of c (rows row0..+7, columns
// col0..+7): see block8x8.wgsl, which src/ops/matmul.ts appends to this file,
// for why. Its speed as a plain product against the adapter's FMA peak is the
// bench row "linear 1024->128 N4096" (bench/results/<adapter>.json, "kernels":
// gflops and fraction; `npm run bench` measures it again).
//
// Edges: rows and columns past m or n read a clamped, valid row or column (so
// the depth loop has no bounds tests) and are not stored.

// The product's sizes and strides are overrides, set when the pipeline is
// created (one pipeline per product shape): the block indices then divide by
// constants, which the compiler turns into shifts and multiplies, and the
// addresses fold.
override M: u32;                  // rows and columns of each c
override N: u32;
override DEPTH: u32;              // length of the sum
override BATCHES: u32;
override A_BATCH: u32 = 0u;
override A_ROW: u32;
override A_DEPTH: u32;
override B_BATCH: u32 = 0u;
override B_COL: u32;
override B_DEPTH: u32;
override C_BATCH: u32 = 0u;
override C_ROW: u32;
override C_COL: u32;
override BIAS_ROW: u32 = 0u;
override BIAS_COL: u32 = 0u;
override HAS_BIAS = false;        // false: bias is not read

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c_out: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const WG = 64u; // = matmul's @workgroup_size

fn bias_at(row: u32, col: u32) -> f32 {
  if (!HAS_BIAS) { return 0.0; }
  return bias[row * BIAS_ROW + col * BIAS_COL];
}

// One invocation per 8x8 block; column blocks fastest, then row blocks, then
// batches. The grid may be 2-D (past 65535 workgroups), hence the row stride.
@compute @workgroup_size(64)
fn matmul(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let id = gid.x + gid.y * nwg.x * WG;
  let col_blocks = (N + 7u) / 8u;
  let row_blocks = (M + 7u) / 8u;
  if (id >= col_blocks * row_blocks * BATCHES) { return; }
  let col0 = (id % col_blocks) * 8u;
  let row0 = ((id / col_blocks) % row_blocks) * 8u;
  let batch = id / (col_blocks * row_blocks);

  // Where the block's 8 rows of a and 8 columns of b start (clamped into range).
  let ab = batch * A_BATCH;
  let a0 = ab + min(row0, M - 1u) * A_ROW;
  let a1 = ab + min(row0 + 1u, M - 1u) * A_ROW;
  let a2 = ab + min(row0 + 2u, M - 1u) * A_ROW;
  let a3 = ab + min(row0 + 3u, M - 1u) * A_ROW;
  let a4 = ab + min(row0 + 4u, M - 1u) * A_ROW;
  let a5 = ab + min(row0 + 5u, M - 1u) * A_ROW;
  let a6 = ab + min(row0 + 6u, M - 1u) * A_ROW;
  let a7 = ab + min(row0 + 7u, M - 1u) * A_ROW;
  let bb = batch * B_BATCH;
  let b0 = bb + min(col0, N - 1u) * B_COL;
  let b1 = bb + min(col0 + 1u, N - 1u) * B_COL;
  let b2 = bb + min(col0 + 2u, N - 1u) * B_COL;
  let b3 = bb + min(col0 + 3u, N - 1u) * B_COL;
  let b4 = bb + min(col0 + 4u, N - 1u) * B_COL;
  let b5 = bb + min(col0 + 5u, N - 1u) * B_COL;
  let b6 = bb + min(col0 + 6u, N - 1u) * B_COL;
  let b7 = bb + min(col0 + 7u, N - 1u) * B_COL;

  var c = Block();
  var ak = 0u;
  var bk = 0u;
  for (var k = 0u; k < DEPTH; k++) {
    rank1(&c,
      vec4f(a[a0 + ak], a[a1 + ak], a[a2 + ak], a[a3 + ak]), vec4f(a[a4 + ak], a[a5 + ak], a[a6 + ak], a[a7 + ak]),
      vec4f(b[b0 + bk], b[b1 + bk], b[b2 + bk], b[b3 + bk]), vec4f(b[b4 + bk], b[b5 + bk], b[b6 + bk], b[b7 + bk]));
    ak += A_DEPTH;
    bk += B_DEPTH;
  }

  // Store the in-range part of the block (+ bias).
  let cb = batch * C_BATCH;
  for (var i = 0u; i < 8u && row0 + i < M; i++) {
    let row = row0 + i;
    let v = block_row(c, i);
    for (var j = 0u; j < 8u && col0 + j < N; j++) {
      c_out[cb + row * C_ROW + (col0 + j) * C_COL] = v[j / 4u][j % 4u] + bias_at(row, col0 + j);
    }
  }
}

// column_sums: sums[j] = Σ_i x[i, j] for x of shape [rows, cols], row-major:
// the bias gradient of a linear layer (the sum of dY over its rows). One
// invocation per column; neighbouring invocations read neighbouring addresses.

struct SumParams { rows: u32, cols: u32 }

@group(0) @binding(5) var<storage, read> x: array<f32>;
@group(0) @binding(6) var<storage, read_write> sums: array<f32>;
@group(0) @binding(7) var<uniform> sp: SumParams;

@compute @workgroup_size(256)
fn column_sums(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let j = gid.x + gid.y * nwg.x * 256u;
  if (j >= sp.cols) { return; }
  var total = 0.0;
  for (var i = 0u; i < sp.rows; i += 1u) {
    total += x[i * sp.cols + j];
  }
  sums[j] = total;
}
