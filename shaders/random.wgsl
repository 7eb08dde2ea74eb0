// Counter-based random numbers: element i of a draw with key (seed, stream) is a
// pure function of (seed, stream, i), so results do not depend on the dispatch
// grid and a draw never needs an upload. Bits come from a PCG-style integer
// hash chained over the three words; normals use Box-Muller on two uniforms
// taken from counters 2i and 2i+1.

struct Params { n: u32, seed: u32, stream: u32, a: f32, b: f32 }

@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> p: Params;

fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}

// A uniform float in (0, 1): 24 random bits, offset by half a step so log() is finite.
fn uniform01(counter: u32) -> f32 {
  let bits = pcg(pcg(pcg(p.seed) ^ p.stream) ^ counter);
  return (f32(bits >> 8u) + 0.5) / 16777216.0;
}

fn index(gid: vec3u, nwg: vec3u) -> u32 { return gid.x + gid.y * nwg.x * 256u; }

// out = a + (b - a) * U(0, 1)
@compute @workgroup_size(256)
fn uniform_fill(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { out[i] = p.a + (p.b - p.a) * uniform01(i); }
}

// out = a + b * N(0, 1)
@compute @workgroup_size(256)
fn normal_fill(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= p.n) { return; }
  let u1 = uniform01(2u * i);
  let u2 = uniform01(2u * i + 1u);
  out[i] = p.a + p.b * sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}
