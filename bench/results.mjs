// The results file of a benchmark run (bench/results/*.json), one format for
// every host: `npm run bench` (its headless page or Node) and the app's
// Benchmark view in any browser build it with these functions, so a file from
// either prints with `npm run bench -- --print FILE` and compares with another.

/**
 * A run's results before anything is measured. `host` says where it ran
 * (CPU count, platform, load averages where known), `runner` how: "chromium"
 * or "node" for npm run bench, "page" for the app's view.
 */
export function newResults({ commit = null, workingTreeDirty = false, host, options, runner, browser = undefined }) {
  return {
    date: new Date().toISOString(),
    commit,
    workingTreeDirty,
    host,
    options,
    runner,
    ...(browser !== undefined ? { browser } : {}),
    adapter: null,
    roofline: null,
    kernels: [],
    iterations: [],
    tfjs: [],
    /** When each result arrived, in seconds from the start. */
    timeline: [],
    durationS: null,
  };
}

const secondsSince = (results) => Math.round((Date.now() - Date.parse(results.date)) / 1000);

/** Files one result of runBench's host.record(section, data) into `results`. */
export function recordResult(results, section, data) {
  results.timeline.push({ section, name: data?.name ?? data?.config?.name ?? null, atS: secondsSince(results) });
  if (section === "adapter") results.adapter = data;
  else if (section === "roofline") results.roofline = data;
  else if (section === "kernels") results.kernels = data;
  else if (section === "iteration") results.iterations.push(data);
  else if (section === "tfjs") results.tfjs.push(data);
  else if (section === "tuning") results.tuning = data;
  else throw new Error(`recordResult: unknown section '${section}'`);
}

/** Stamps the run's duration; returns `results`. */
export function finishResults(results) {
  results.durationS = secondsSince(results);
  return results;
}

/** The file name bench/results uses for a run: the adapter's name, "-node" for Dawn, "-partial" unless every part ran. */
export function resultsFileName(results, full) {
  const a = results.adapter ?? {};
  const name = (a.architecture || a.description || a.vendor || "unknown-adapter").toLowerCase().replace(/[^a-z0-9._-]+/g, "-");
  return `${name}${results.runner === "node" ? "-node" : results.runner === "page" ? "-page" : ""}${full ? "" : "-partial"}.json`;
}
