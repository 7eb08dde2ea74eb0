// Checks an op's backward rule against central finite differences, on any
// function of tensors. The scalar differentiated is L = sum(out * r) for a fixed
// random r, so every output element's gradient path is exercised; L is summed
// in float64 on the CPU from the op's float32 outputs.
import { Tensor, tensor, noGrad, scope } from "../src/index.js";
import { assertClose } from "./harness.js";
import { uniform } from "./random.js";

export interface GradInput {
  data: Float32Array;
  shape: number[];
  /** Whether to check this input's gradient (default true). */
  check?: boolean;
}

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
}

function weighted(out: Float32Array, r: Float32Array): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i] * r[i];
  return s;
}

/** Throws if any checked input's analytic gradient differs from the numerical one. */
export async function gradcheck(
  name: string,
  fn: (...inputs: Tensor[]) => Tensor,
  inputs: GradInput[],
  { eps = 1e-2, atol = 1e-2, rtol = 1e-2, seed = 7 }: GradcheckOptions = {},
): Promise<void> {
  // Analytic gradients.
  const { outShape, grads } = scope(() => {
    const ts = inputs.map((inp) => tensor(inp.data, inp.shape, { requiresGrad: inp.check !== false }));
    const out = fn(...ts);
    const r = tensor(uniform(out.size, seed), [...out.shape]);
    out.backward(r);
    return { outShape: out.shape, grads: ts.map((t) => t.grad) };
  });
  const r = uniform(outShape.reduce((a, b) => a * b, 1), seed);
  const analytic = await Promise.all(grads.map((g) => g?.toArray() ?? null));
  grads.forEach((g) => g?.dispose());

  // Numerical gradients: perturb one element at a time, evaluating in parallel batches.
  const evaluate = (data: Float32Array[]) =>
    noGrad(() => scope(() => fn(...data.map((d, i) => tensor(d, inputs[i].shape)))));
  for (let i = 0; i < inputs.length; i++) {
    if (inputs[i].check === false) continue;
    const base = inputs[i].data;
    const numeric = new Float32Array(base.length);
    const BATCH = 32;
    for (let start = 0; start < base.length; start += BATCH) {
      const jobs: Promise<void>[] = [];
      for (let j = start; j < Math.min(base.length, start + BATCH); j++) {
        const outs = [eps, -eps].map((d) => {
          const data = inputs.map((inp) => inp.data);
          const perturbed = Float32Array.from(base);
          perturbed[j] += d;
          data[i] = perturbed;
          return evaluate(data);
        });
        jobs.push(
          Promise.all(outs.map((o) => o.toArray())).then(([plus, minus]) => {
            // Divide by the step actually taken in float32.
            const step = Math.fround(base[j] + eps) - Math.fround(base[j] - eps);
            numeric[j] = (weighted(plus, r) - weighted(minus, r)) / step;
            outs.forEach((o) => o.dispose());
          }),
        );
      }
      await Promise.all(jobs);
    }
    const got = analytic[i];
    if (!got) throw new Error(`${name}: input ${i} received no gradient`);
    let scale = 1;
    for (const v of numeric) scale = Math.max(scale, Math.abs(v));
    assertClose(got, numeric, `${name}: d/d(input ${i})`, atol * scale, rtol);
  }
}
