// Dense matrix product out[M, N] = A[M, K] · B[K, N] (+ bias[N]), and the
// column sums that give a linear layer's bias gradient.
//
// Transposes are strides, not copies: A's element (row i, depth k) is read at
// a[i * a_row + k * a_depth] and B's element (depth k, column j) at
// b[k * b_depth + j * b_col]. A row-major A is (a_row = K, a_depth = 1); a
// row-major Aᵀ stored as [K, M] is (a_row = 1, a_depth = M); likewise for B. So
// one kernel serves x·Wᵀ (linear forward), dY·W (its input gradient) and
// dYᵀ·X (its weight gradient).
//
// Tiling: each invocation computes a 4x4 block of outputs held in four named
// vec4 accumulators (one per output row); a workgroup of 8x8 invocations covers
// a 32x32 tile of out. At each depth k the block takes a rank-1 update: four
// values of A's column k times four values of B's row k, 4 vec4 FMAs per 8
// loads. The depth loop is unrolled by hand four times. Why this shape: on
// SwiftShader (a CPU) each invocation is a SIMD lane and every load is a
// per-lane gather, so what pays is FMAs per load, straight-line code and no
// dynamically indexed local arrays (see shared/engine-notes.md).
//
// Edges: rows and columns past M or N are clamped to the last row/column while
// loading (so the depth loop has no bounds checks) and skipped when storing.
// M, N and K need not be multiples of 4; the depth remainder runs one step at
// a time after the unrolled loop.

struct Params {
  m: u32,        // rows of out
  n: u32,        // columns of out
  k: u32,        // depth of the product
  a_row: u32,    // stride of A between rows of out
  a_depth: u32,  // stride of A along the depth
  b_depth: u32,  // stride of B along the depth
  b_col: u32,    // stride of B between columns of out
}

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;
@group(0) @binding(3) var<uniform> p: Params;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// A 4x4 block of outputs: r0..r3 are its rows, four columns each.
struct Block { r0: vec4f, r1: vec4f, r2: vec4f, r3: vec4f }

// Offsets of the block's 4 rows in A and 4 columns in B, clamped into range.
struct Origin { row: u32, col: u32, a_rows: vec4u, b_cols: vec4u }

fn origin_of(row: u32, col: u32) -> Origin {
  let rows = min(vec4u(row) + vec4u(0u, 1u, 2u, 3u), vec4u(p.m - 1u));
  let cols = min(vec4u(col) + vec4u(0u, 1u, 2u, 3u), vec4u(p.n - 1u));
  return Origin(row, col, rows * p.a_row, cols * p.b_col);
}

// The block's four rows of A at depth k.
fn a_column(o: Origin, k: u32) -> vec4f {
  let d = k * p.a_depth;
  return vec4f(a[o.a_rows.x + d], a[o.a_rows.y + d], a[o.a_rows.z + d], a[o.a_rows.w + d]);
}

// The block's four columns of B at depth k.
fn b_row(o: Origin, k: u32) -> vec4f {
  let d = k * p.b_depth;
  return vec4f(b[d + o.b_cols.x], b[d + o.b_cols.y], b[d + o.b_cols.z], b[d + o.b_cols.w]);
}

// c + a ⊗ b: the contribution of one depth step to the block.
fn rank1(c: Block, av: vec4f, bv: vec4f) -> Block {
  return Block(fma(vec4f(av.x), bv, c.r0), fma(vec4f(av.y), bv, c.r1), fma(vec4f(av.z), bv, c.r2), fma(vec4f(av.w), bv, c.r3));
}

fn block_product(o: Origin) -> Block {
  var c = Block(vec4f(0.0), vec4f(0.0), vec4f(0.0), vec4f(0.0));
  var k = 0u;
  for (; k + 4u <= p.k; k += 4u) {
    c = rank1(c, a_column(o, k), b_row(o, k));
    c = rank1(c, a_column(o, k + 1u), b_row(o, k + 1u));
    c = rank1(c, a_column(o, k + 2u), b_row(o, k + 2u));
    c = rank1(c, a_column(o, k + 3u), b_row(o, k + 3u));
  }
  for (; k < p.k; k += 1u) {
    c = rank1(c, a_column(o, k), b_row(o, k));
  }
  return c;
}

// Writes the in-range part of one block row.
fn store_row(row: u32, col: u32, v: vec4f) {
  if (row >= p.m) { return; }
  let base = row * p.n + col;
  out[base] = v.x;
  if (col + 1u < p.n) { out[base + 1u] = v.y; }
  if (col + 2u < p.n) { out[base + 2u] = v.z; }
  if (col + 3u < p.n) { out[base + 3u] = v.w; }
}

fn store_block(o: Origin, c: Block) {
  store_row(o.row, o.col, c.r0);
  store_row(o.row + 1u, o.col, c.r1);
  store_row(o.row + 2u, o.col, c.r2);
  store_row(o.row + 3u, o.col, c.r3);
}

// gid.x indexes column blocks, gid.y row blocks.
@compute @workgroup_size(8, 8)
fn matmul(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.y * 4u;
  let col = gid.x * 4u;
  if (row >= p.m || col >= p.n) { return; }
  let o = origin_of(row, col);
  store_block(o, block_product(o));
}

// The same with bias[j] added to every row (a linear layer's forward).
@compute @workgroup_size(8, 8)
fn matmul_bias(@builtin(global_invocation_id) gid: vec3u) {
  let row = gid.y * 4u;
  let col = gid.x * 4u;
  if (row >= p.m || col >= p.n) { return; }
  let o = origin_of(row, col);
  var c = block_product(o);
  // b_cols holds column * b_col; the bias is indexed by the clamped column itself.
  let cols = min(vec4u(col) + vec4u(0u, 1u, 2u, 3u), vec4u(p.n - 1u));
  let bv = vec4f(bias[cols.x], bias[cols.y], bias[cols.z], bias[cols.w]);
  c = Block(c.r0 + bv, c.r1 + bv, c.r2 + bv, c.r3 + bv);
  store_block(o, c);
}

// column_sums: sums[j] = Σ_i x[i, j] for x of shape [rows, cols], row-major:
// the bias gradient of a linear layer (the sum of dY over its rows). One
// invocation per column; neighbouring invocations read neighbouring addresses.
// The grid may be 2-D (more than 65535 workgroups), hence the row stride.

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
