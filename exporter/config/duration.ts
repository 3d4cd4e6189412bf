// Components in decreasing unit order, each at most once: `1h30m`, `1m0.5s`, `250ms`.
const DURATION =
  /^(?:(\d+(?:\.\d+)?)h)?(?:(\d+(?:\.\d+)?)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+(?:\.\d+)?)ms)?$/;

/**
 * Parses a duration such as `250ms`, `1.5s`, `1m30s` or `1h` into seconds.
 * A unit is required. Returns undefined for anything else, including a sign.
 */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === '') return undefined;
  const [, h, m, s, ms] = match;
  // Dividing keeps `200ms` exactly 0.2, where multiplying by 0.001 would not.
  const seconds = Number(h ?? 0) * 3600 + Number(m ?? 0) * 60 + Number(s ?? 0) + Number(ms ?? 0) / 1000;
  return Number.isFinite(seconds) ? seconds : undefined;
}

/** Formats seconds, rounded to microseconds, as parseDuration reads them: `250ms`, `1.5s`, `1m30s`, `2h`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return String(seconds);
  if (seconds < 0) return `-${formatDuration(-seconds)}`;
  const micros = Math.round(seconds * 1e6);
  if (micros === 0) return '0s';
  if (micros < 1e6) return `${micros / 1000}ms`;
  const hours = Math.floor(micros / 3.6e9);
  const minutes = Math.floor((micros % 3.6e9) / 6e7);
  const rest = (micros % 6e7) / 1e6;
  return (hours ? `${hours}h` : '') + (minutes ? `${minutes}m` : '') + (rest ? `${rest}s` : '');
}
