// How durations print, alike on the command lines (cli/terminal.ts re-exports
// it) and in results/README.md (scripts/render-results.mjs). Plain JavaScript,
// so the scripts run it as it is; types in duration.d.mts.

/** "4m05s", or "1h02m" from an hour on; "—" for a missing (non-finite) duration. */
export function formatDuration(ms) {
  if (!Number.isFinite(ms)) return "—";
  const s = Math.max(0, Math.round(ms / 1000));
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
}
