// The page's one piece of mutable state: the current PageState, replaced by
// reduce() on every event, with a callback that redraws the views. until()
// lets a long task (the training loop) wait for the state to get somewhere
// (a paused run resumed) without a flag of its own.

export interface Store<S, E> {
  readonly state: S;
  dispatch(event: E): void;
  /** Resolves once `predicate` holds for the state (at once when it does now). */
  until(predicate: (state: S) => boolean): Promise<void>;
}

export function createStore<S, E>(reduce: (state: S, event: E) => S, initial: S, onChange: (next: S, previous: S) => void): Store<S, E> {
  let state = initial;
  let waiting: { predicate: (state: S) => boolean; resolve: () => void }[] = [];
  return {
    get state() {
      return state;
    },
    dispatch(event) {
      const previous = state;
      state = reduce(state, event);
      if (state === previous) return;
      onChange(state, previous);
      const ready = waiting.filter((w) => w.predicate(state));
      waiting = waiting.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve();
    },
    until(predicate) {
      if (predicate(state)) return Promise.resolve();
      return new Promise((resolve) => waiting.push({ predicate, resolve }));
    },
  };
}
