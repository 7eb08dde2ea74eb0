// Data movement for the shape ops, one invocation per output element.
//
// pad         views input and output as [outer, H, W] and [outer, Ho, Wo]
//             (the last two dimensions) and shifts by (top, left): output
//             (o, h, w) reads input (o, h - top, w - left) when that lies
//             inside the input, else writes `value`. Negative top/left crop,
//             so one kernel serves pad, its backward (a crop: the pads negated,
//             value 0) and narrow and its backward.
// copy_block  copies `rows` rows of `cols` elements from src (rows `src_row`
//             apart, starting at `src_off`) to dst (rows `dst_row` apart,
//             starting at `dst_off`): concatenating one input into its slot of
//             the output, or slicing a gradient back out of it.
// The grid may be 2-D (more than 65535 workgroups), hence the row stride.

struct Params {
  n: u32,        // output elements
  // pad
  h: u32, w: u32, out_h: u32, out_w: u32,
  top: i32, left: i32,
  value: f32,
  // copy_block
  cols: u32, src_row: u32, src_off: u32, dst_row: u32, dst_off: u32,
}

@group(0) @binding(0) var<storage, read> src: array<f32>;
@group(0) @binding(1) var<storage, read_write> dst: array<f32>;
@group(0) @binding(2) var<uniform> p: Params;

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

@compute @workgroup_size(256)
fn pad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  let ow = i % p.out_w;
  let rest = i / p.out_w;
  let oh = rest % p.out_h;
  let o = rest / p.out_h;
  let y = i32(oh) - p.top;
  let x = i32(ow) - p.left;
  if (y >= 0 && y < i32(p.h) && x >= 0 && x < i32(p.w)) {
    dst[i] = src[(o * p.h + u32(y)) * p.w + u32(x)];
  } else {
    dst[i] = p.value;
  }
}

@compute @workgroup_size(256)
fn copy_block(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  let row = i / p.cols;
  let col = i - row * p.cols;
  dst[row * p.dst_row + p.dst_off + col] = src[row * p.src_row + p.src_off + col];
}
