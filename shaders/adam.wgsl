// Adam, fused: one dispatch per parameter tensor updates the parameter and
// both moment estimates in place, instead of the ~14 elementwise dispatches an
// op-by-op version needs. PyTorch's semantics (torch.optim.Adam, not AdamW):
//   g  <- grad + weightDecay * param
//   m  <- b1 m + (1 - b1) g;   v <- b2 v + (1 - b2) g^2
//   param <- param - lr / bc1 * m / (sqrt(v) / sqrt(bc2) + eps)
// with bc1 = 1 - b1^t and sqrtBc2 = sqrt(1 - b2^t) computed on the CPU per step.
// Each invocation updates one V: four elements (vec4f) where the tensor's size
// is a multiple of 4, else one (the prelude of src/gpu/lanes.ts defines V;
// p.n counts V elements). The arithmetic is componentwise, so both give the
// same values.

struct Params { n: u32, lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, bc1: f32, sqrtBc2: f32 }

@group(0) @binding(0) var<storage, read_write> param: array<V>;
@group(0) @binding(1) var<storage, read> grad: array<V>;
@group(0) @binding(2) var<storage, read_write> m: array<V>;
@group(0) @binding(3) var<storage, read_write> v: array<V>;
@group(0) @binding(4) var<uniform> p: Params;

@compute @workgroup_size(256)
fn adam_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * 256u;
  if (i >= p.n) { return; }
  let g = grad[i] + p.weightDecay * param[i];
  let mi = p.beta1 * m[i] + (1.0 - p.beta1) * g;
  let vi = p.beta2 * v[i] + (1.0 - p.beta2) * g * g;
  m[i] = mi;
  v[i] = vi;
  param[i] = param[i] - p.lr / p.bc1 * mi / (sqrt(vi) / p.sqrtBc2 + p.eps);
}
