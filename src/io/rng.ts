// A small seeded pseudo-random generator for CPU-side work that must be
// reproducible (in OCGAN: the protocol-1 draw of out-of-class test images, the
// per-epoch shuffle of the training set, synthetic data for tests).
//
// The generator is xoshiro128** (Blackman and Vigna): 128 bits of state, 32-bit
// outputs, passes the usual statistical batteries, and needs nothing beyond
// 32-bit integer arithmetic (Math.imul), so it gives the same sequence in every
// JavaScript engine. The state is filled from the seed with splitmix32, so
// nearby seeds (0, 1, 2, ...) still start from unrelated states, and an
// optional `stream` number gives independent sequences from one seed (one per
// epoch, one per purpose) without having to carry generator state around.

/** Mixes a 32-bit value into a well-spread 32-bit value (the splitmix32 finaliser). */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const TWO_POW_32 = 4294967296;

export class Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  /** Box–Muller makes normals in pairs; the second one waits here. */
  private spareNormal: number | null = null;

  /**
   * @param seed any safe integer (negative ones too); the same seed and stream
   *   always give the same sequence.
   * @param stream selects an independent sequence for the same seed.
   */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`Rng: seed must be a safe integer, got ${seed}`);
    if (!Number.isSafeInteger(stream)) throw new RangeError(`Rng: stream must be a safe integer, got ${stream}`);
    // splitmix32: a counter stepped by the golden-ratio constant, each step
    // finalised. The counter starts from a chained hash of both 32-bit halves
    // of the seed and of the stream (mix32 is a bijection, so a change in any
    // one part changes the start).
    let counter = 0x9e3779b9;
    for (const part of [seed, Math.floor(seed / TWO_POW_32), stream, Math.floor(stream / TWO_POW_32)]) {
      counter = mix32((counter ^ part) >>> 0);
    }
    const next = () => {
      counter = (counter + 0x9e3779b9) >>> 0;
      return mix32(counter);
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    // xoshiro must not start from the all-zero state (it would stay there).
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /** The next raw 32-bit output, an integer in [0, 2^32). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution (plenty for float32 noise and sampling). */
  uniform(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform in [lo, hi). */
  uniformRange(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** An integer in [0, n), without modulo bias (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > TWO_POW_32) throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    // Accept only draws below the largest multiple of n that fits in 2^32.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Normal with the given mean and standard deviation (Box–Muller, pairs cached). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + std * z;
    }
    // 1 - uniform() is in (0, 1], so the logarithm is finite.
    const u1 = 1 - this.uniform();
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.spareNormal = radius * Math.sin(angle);
    return mean + std * radius * Math.cos(angle);
  }

  /** Shuffles `array` in place (Fisher–Yates) and returns it. */
  shuffle<A extends { length: number; [i: number]: unknown }>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /** `k` distinct elements of `items`, chosen uniformly, in random order. `items` is not changed. */
  sample<T>(items: readonly T[], k: number): T[] {
    if (!Number.isInteger(k) || k < 0 || k > items.length) {
      throw new RangeError(`Rng.sample: cannot draw ${k} of ${items.length} items without replacement`);
    }
    const pool = items.slice();
    // A partial Fisher–Yates: only the first k positions are settled.
    for (let i = 0; i < k; i++) {
      const j = i + this.int(pool.length - i);
      const tmp = pool[i];
      pool[i] = pool[j];
      pool[j] = tmp;
    }
    return pool.slice(0, k);
  }

  /** Fills `out` with uniform values in [lo, hi) and returns it. */
  fillUniform(out: Float32Array, lo = 0, hi = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.uniformRange(lo, hi);
    return out;
  }

  /** Fills `out` with normal values and returns it. */
  fillNormal(out: Float32Array, mean = 0, std = 1): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = this.normal(mean, std);
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
