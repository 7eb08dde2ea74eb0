// Memory scopes. Every tensor registers with the innermost open scope when it is
// created; `scope(fn)` disposes every tensor created inside fn except those it
// returns (which move to the enclosing scope) and those explicitly kept. A
// training iteration wrapped in scope() therefore leaves GPU memory as it found it.

export interface Disposable {
  dispose(): void;
}

const stack: Set<Disposable>[] = [];

export function track<T extends Disposable>(t: T): T {
  stack[stack.length - 1]?.add(t);
  return t;
}

/** Removes `t` from every open scope: the caller now owns it (parameters, gradients, optimiser state). */
export function keep<T extends Disposable>(t: T): T {
  for (const s of stack) s.delete(t);
  return t;
}

function collect(value: unknown, out: Set<unknown>, depth = 0): void {
  if (value === null || typeof value !== "object" || depth > 4) return;
  if ("dispose" in value) out.add(value);
  if (Array.isArray(value)) for (const v of value) collect(v, out, depth + 1);
  else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collect(v, out, depth + 1);
  }
}

/**
 * A scope that stays open across awaits: every tensor created until the
 * returned function is called is disposed then (except those kept), and
 * returned. For a test harness, which runs one test at a time; anywhere else
 * concurrent tasks would share it, which is why scope() takes only synchronous
 * functions.
 */
export function openScope(): () => Disposable[] {
  const created = new Set<Disposable>();
  stack.push(created);
  return () => {
    if (stack[stack.length - 1] !== created) throw new Error("openScope(): closed while a scope opened after it is still open");
    stack.pop();
    for (const t of created) t.dispose();
    return [...created];
  };
}

/** Runs fn; disposes every tensor it created except those found in its result (arrays and plain objects are searched). */
export function scope<T>(fn: () => T): T {
  const created = new Set<Disposable>();
  stack.push(created);
  let result: T;
  try {
    result = fn();
  } catch (error) {
    stack.pop();
    for (const t of created) t.dispose();
    throw error;
  }
  stack.pop();
  if (result instanceof Promise) {
    // Free what fn created before its first await (what it creates later lands in
    // the enclosing scope, if any). The caller gets the error below; whatever the
    // promise does later is moot, so it must not surface as an unhandled rejection.
    for (const t of created) t.dispose();
    result.catch(() => {});
    throw new Error("scope(fn): fn must be synchronous; await readbacks after the scope returns");
  }
  const survivors = new Set<unknown>();
  collect(result, survivors);
  for (const t of created) {
    if (survivors.has(t)) track(t);
    else t.dispose();
  }
  return result;
}
