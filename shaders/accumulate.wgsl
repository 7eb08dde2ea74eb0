// out = a + b, elementwise, same shape: how autograd sums the gradients of a
// tensor used more than once. One invocation per V element (vec4f where the
// count is a multiple of 4, else f32: the prelude of src/ops/launch.ts's
// withLanes()); the grid may be 2-D when there are more than 65535
// workgroups, hence the row stride.

struct Params { n: u32 }

@group(0) @binding(0) var<storage, read> a: array<V>;
@group(0) @binding(1) var<storage, read> b: array<V>;
@group(0) @binding(2) var<storage, read_write> out: array<V>;
@group(0) @binding(3) var<uniform> p: Params;

@compute @workgroup_size(256)
fn accumulate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  out[i] = a[i] + b[i];
}
