/**
 * Whether an `Accept-Encoding` header (RFC 9110 §12.5.3) accepts gzip: listed (or `x-gzip`) with a
 * weight above 0, or not listed while `*` is, above 0. `gzip;q=0` refuses it whatever `*` says.
 * Absent or empty, only identity is acceptable.
 */
export function acceptsGzip(header: string | string[] | undefined): boolean {
  if (header === undefined) return false;
  let gzip: number | undefined;
  let any: number | undefined;
  for (const item of (Array.isArray(header) ? header.join(',') : header).split(',')) {
    const [coding = '', ...parameters] = item.split(';');
    const name = coding.trim().toLowerCase();
    const weight = weightOf(parameters);
    if (name === 'gzip' || name === 'x-gzip') gzip = Math.max(gzip ?? 0, weight);
    else if (name === '*') any = weight;
  }
  return (gzip ?? any ?? 0) > 0;
}

/** The `q` parameter; 1 when absent, 0 when malformed (a client that garbles it gets identity). */
function weightOf(parameters: readonly string[]): number {
  for (const parameter of parameters) {
    const [key = '', value = ''] = parameter.split('=');
    if (key.trim().toLowerCase() !== 'q') continue;
    const trimmed = value.trim();
    return /^(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/.test(trimmed) ? Number(trimmed) : 0;
  }
  return 1;
}
