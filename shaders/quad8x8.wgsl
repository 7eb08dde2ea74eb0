// Products computed by quads: four invocations (a quad of a subgroup) share
// their loads. Joined first (it carries the `enable`) in front of a kernel's
// file and block8x8.wgsl, by src/ops only on a device with the `subgroups`
// feature.
//
// Why: in an 8x8 block (block8x8.wgsl) each depth step loads 8 values of
// each operand for 64 multiply-adds, and on SwiftShader every one of those
// loads is a per-lane gather, the dearest step of the loop. A quad instead
// computes a 16x16 block, each lane one 8x8 quarter of it. The quarters in
// one row of the quad need the same 8 rows of the first operand, those in
// one column the same 8 columns of the second; so each lane loads 4 of its
// rows and 4 of its columns (8 loads, not 16) and gets the other 4 of each
// from its neighbour with quadSwapX / quadSwapY, a register shuffle.
//
// Lane roles, for quad lane l = subgroup_invocation_id mod 4 (quadSwapX
// pairs l with l ^ 1, quadSwapY with l ^ 2):
//     row half    h = l >> 1    the lane's 8 rows are 8h .. 8h+7 of the 16
//     column half v = l & 1     its 8 columns are 8v .. 8v+7
// and the lane loads rows 8h + 4v .. +3 and columns 8v + 4h .. +3, so that
// its quadSwapX partner (same h, other v) holds the other 4 of its rows and
// its quadSwapY partner (same v, other h) the other 4 of its columns.
//
// Every lane of a quad must reach each quad operation: a kernel returns
// early only for whole quads (its invocation count is a multiple of 4 and
// quads are 4 consecutive invocations, as subgroups are on every adapter
// tried), which the uniformity analysis cannot see, hence the diagnostic.
enable subgroups;
diagnostic(off, subgroup_uniformity);

struct QuadRole {
  row_half: u32,  // h
  col_half: u32,  // v
}

fn quad_role(subgroup_lane: u32) -> QuadRole {
  let l = subgroup_lane & 3u;
  return QuadRole(l >> 1u, l & 1u);
}

// First of the 4 rows (of 16) this lane loads, and first of its 4 columns.
fn quad_load_row(r: QuadRole) -> u32 { return 8u * r.row_half + 4u * r.col_half; }
fn quad_load_col(r: QuadRole) -> u32 { return 8u * r.col_half + 4u * r.row_half; }

// c += a ⊗ b for the lane's 8x8 quarter, from the 4 rows and 4 columns it loaded.
fn quad_rank1(c: ptr<function, Block>, r: QuadRole, rows: vec4f, cols: vec4f) {
  let other_rows = quadSwapX(rows);
  let other_cols = quadSwapY(cols);
  let rows_first = r.col_half == 0u;  // this lane's 4 rows come first in its 8
  let cols_first = r.row_half == 0u;
  rank1(c, select(other_rows, rows, rows_first), select(rows, other_rows, rows_first),
           select(other_cols, cols, cols_first), select(cols, other_cols, cols_first));
}
