// Types of scripts/duration.mjs (plain JavaScript, shared with the scripts).
/** "4m05s", or "1h02m" from an hour on; "—" for a missing (non-finite) duration. */
export function formatDuration(ms: number): string;
