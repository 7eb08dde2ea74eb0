// The 8x8 output block that every product kernel accumulates: appended by
// src/ops (matmul.ts, conv.ts) to the source of matmul.wgsl and
// conv2d_block.wgsl, so the register blocking is written once (joined by
// joinWgsl, so that a compile error here names this file and its line).
//
// Why 8x8 in named vec4s: on SwiftShader (WebGPU on the CPU) every invocation
// is a SIMD lane and a load from a storage buffer at an index computed at run
// time is a per-lane gather, far dearer than an FMA. A depth step of an 8x8
// block loads 8 values of each operand for 64 FMAs. Of the blocks tried there
// on the paper preset's largest convolution as a product (4x4, 8x4, 8x8,
// 16x8, and 8x8 with the depth loop unrolled twice), 8x8 was the fastest;
// 16x8 spills registers. An accumulator array indexed by a loop variable is
// spilled to memory, hence the sixteen names. How fast the products run now:
// `npm run bench`, bench/results/<adapter>.json, the "kernels" rows of the
// linear layers (gflops, and fraction of the FMA roofline) and the conv rows'
// dW passes.

// Rows 0..7 of the block; columns 0..3 in r{i}l, 4..7 in r{i}h.
struct Block {
  r0l: vec4f, r0h: vec4f, r1l: vec4f, r1h: vec4f, r2l: vec4f, r2h: vec4f, r3l: vec4f, r3h: vec4f,
  r4l: vec4f, r4h: vec4f, r5l: vec4f, r5h: vec4f, r6l: vec4f, r6h: vec4f, r7l: vec4f, r7h: vec4f,
}

// c += a ⊗ b for one depth step: a holds the block's 8 rows (a_lo rows 0..3, a_hi rows 4..7), b its 8 columns.
// In place through a pointer (a block passed and returned by value is copied
// at each step), and a multiply and an add, not fma(): SwiftShader lowers
// fma() to a slower exact sequence (the roofline's fma_builtin_probe against
// its fma_probe).
fn rank1(c: ptr<function, Block>, a_lo: vec4f, a_hi: vec4f, b_lo: vec4f, b_hi: vec4f) {
  (*c).r0l += a_lo.x * b_lo; (*c).r0h += a_lo.x * b_hi;
  (*c).r1l += a_lo.y * b_lo; (*c).r1h += a_lo.y * b_hi;
  (*c).r2l += a_lo.z * b_lo; (*c).r2h += a_lo.z * b_hi;
  (*c).r3l += a_lo.w * b_lo; (*c).r3h += a_lo.w * b_hi;
  (*c).r4l += a_hi.x * b_lo; (*c).r4h += a_hi.x * b_hi;
  (*c).r5l += a_hi.y * b_lo; (*c).r5h += a_hi.y * b_hi;
  (*c).r6l += a_hi.z * b_lo; (*c).r6h += a_hi.z * b_hi;
  (*c).r7l += a_hi.w * b_lo; (*c).r7h += a_hi.w * b_hi;
}

// Row i of the block as its two halves.
fn block_row(c: Block, i: u32) -> array<vec4f, 2> {
  switch i {
    case 0u: { return array(c.r0l, c.r0h); }
    case 1u: { return array(c.r1l, c.r1h); }
    case 2u: { return array(c.r2l, c.r2h); }
    case 3u: { return array(c.r3l, c.r3h); }
    case 4u: { return array(c.r4l, c.r4h); }
    case 5u: { return array(c.r5l, c.r5h); }
    case 6u: { return array(c.r6l, c.r6h); }
    default: { return array(c.r7l, c.r7h); }
  }
}
