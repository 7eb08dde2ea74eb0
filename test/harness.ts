// A small test harness that runs inside the page. Tests register with test();
// the runner (test/run.mjs) calls runTests() through Playwright and prints the
// results. A test that needs WebGPU and finds none fails: it never skips.
//
// Each test runs as if inside the engine's scope(): the tensors it creates and
// drops are freed when it ends. What that cannot free, tensors kept out of
// scopes (parameters, optimiser state) and buffers held outside any tensor,
// must not outlive the test: it fails if more GPU buffers are live after it
// than before, unless it says what it keeps and why (`keeps`). The harness
// imports nothing of the engine; setup.ts tells it how (watchMemory).

export type TestFn = () => void | Promise<void>;
export interface TestOptions {
  timeoutMs?: number;
  /** Why this test leaves GPU buffers alive after it; without it the test must free what it allocated. */
  keeps?: string;
}
interface Registered { name: string; fn: TestFn; timeoutMs: number; keeps?: string }
export interface TestResult { name: string; ok: boolean; ms: number; error?: string }

const registry: Registered[] = [];

export function test(name: string, fn: TestFn, options: TestOptions = {}): void {
  registry.push({ name, fn, timeoutMs: options.timeoutMs ?? 120_000, keeps: options.keeps });
}

export interface MemoryWatch {
  /** GPU buffers live now. */
  liveBuffers(): number;
  /** Starts collecting the tensors a test creates; the function returned frees those still alive and not kept. */
  collect(): () => void;
}

let memory: MemoryWatch = { liveBuffers: () => 0, collect: () => () => {} };

export function watchMemory(watch: MemoryWatch): void {
  memory = watch;
}

/** Frees what the test dropped, then fails it if it left more GPU buffers alive than it found. */
function checkLeaks(t: Registered, liveBefore: number, release: () => void): void {
  release();
  const grown = memory.liveBuffers() - liveBefore;
  if (grown > 0 && !t.keeps) {
    throw new AssertionError(
      `the test left ${grown} more GPU buffer(s) alive than the ${liveBefore} it found: dispose the modules, ` +
        `optimisers and other kept tensors it made, or say what it keeps and why (test(name, fn, { keeps: "..." }))`,
    );
  }
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
    const liveBefore = memory.liveBuffers();
    let release: (() => void) | null = memory.collect();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(t.fn),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${t.timeoutMs} ms`)), t.timeoutMs);
        }),
      ]);
      const close = release;
      release = null;
      checkLeaks(t, liveBefore, close);
      results.push({ name: t.name, ok: true, ms: performance.now() - start });
    } catch (error) {
      const message = error instanceof Error ? `${error.message}\n${error.stack ?? ""}` : String(error);
      results.push({ name: t.name, ok: false, ms: performance.now() - start, error: message });
    } finally {
      clearTimeout(timer);
      release?.(); // a failed test: free what it made, no leak check (its error is the news)
    }
    onResult?.(results[results.length - 1]);
  }
  return results;
}
