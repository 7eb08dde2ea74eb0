// sum_chunks: total[i] = Σ over chunks k of partial[k * COUNT + i]. The conv
// weight and bias gradients (src/ops/conv.ts) write one partial sum per chunk
// of the batch, so that enough invocations run at once; this adds them up,
// in chunk order, one invocation per V: vec4f (four values) where COUNT is
// a multiple of 4, else f32 (the prelude of src/gpu/lanes.ts defines V).
// The grid may be 2-D (more than 65535 workgroups), hence the row stride.

override COUNT: u32;   // V elements of one chunk (and of total)
override CHUNKS: u32;

@group(0) @binding(0) var<storage, read> partial: array<V>;
@group(0) @binding(1) var<storage, read_write> total: array<V>;

@compute @workgroup_size(64)
fn sum_chunks(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 64u;
  if (i >= COUNT) { return; }
  var s = V(0.0);
  for (var k = 0u; k < CHUNKS; k++) { s += partial[k * COUNT + i]; }
  total[i] = s;
}
