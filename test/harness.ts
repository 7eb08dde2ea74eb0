// A small test harness that runs inside the page. Tests register with test();
// the runner (test/run.mjs) calls runTests() through Playwright and prints the
// results. A test that needs WebGPU and finds none fails: it never skips.

export type TestFn = () => void | Promise<void>;
interface Registered { name: string; fn: TestFn; timeoutMs: number }
export interface TestResult { name: string; ok: boolean; ms: number; error?: string }

const registry: Registered[] = [];

export function test(name: string, fn: TestFn, timeoutMs = 120_000): void {
  registry.push({ name, fn, timeoutMs });
}

export class AssertionError extends Error {
  override name = "AssertionError";
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Elementwise |a - b| <= atol + rtol * |b|, reporting the worst element. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, atol = 1e-5, rtol = 1e-4): void {
  assert(actual.length === expected.length, `${what}: length ${actual.length}, expected ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    throw new AssertionError(
      `${what}: element ${worst} is ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`,
    );
  }
}

export async function assertRejects(fn: () => unknown, pattern: RegExp, what: string): Promise<Error> {
  try {
    await fn();
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    assert(pattern.test(message), `${what}: error "${message}" does not match ${pattern}`);
    return error as Error;
  }
  throw new AssertionError(`${what}: expected an error matching ${pattern}, none was thrown`);
}

/** Names of the registered tests, in order. */
export function testNames(): string[] {
  return registry.map((t) => t.name);
}

/** Runs the tests whose name contains `filter` (or that a predicate accepts), in order. */
export async function runTests(filter: string | ((name: string) => boolean) = "", onResult?: (r: TestResult) => void): Promise<TestResult[]> {
  const results: TestResult[] = [];
  const selected = typeof filter === "function" ? filter : (name: string) => !filter || name.includes(filter);
  for (const t of registry) {
    if (!selected(t.name)) continue;
    const start = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(t.fn),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs);
        }),
      ]);
      results.push({ name: t.name, ok: true, ms: performance.now() - start });
    } catch (error) {
      const message = error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
      results.push({ name: t.name, ok: false, ms: performance.now() - start, error: message });
    } finally {
      clearTimeout(timer);
    }
    onResult?.(results[results.length - 1]);
  }
  return results;
}
