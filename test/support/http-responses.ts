/** One HTTP/1.1 response read off a raw connection. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Whether the body arrived in full (its last chunk, or its content-length). */
  complete: boolean;
}

/**
 * Reads the HTTP/1.1 responses in `bytes`, in order (content-length or chunked bodies): enough to
 * check pipelined answers in tests. The last one may be incomplete when the connection was cut.
 */
export function parseResponses(bytes: Buffer): RawResponse[] {
  const responses: RawResponse[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const [statusLine = '', ...lines] = bytes.subarray(at, headEnd).toString('latin1').split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
    }
    const status = Number(statusLine.split(' ')[1]);
    at = headEnd + 4;
    const parts: Buffer[] = [];
    let complete = false;
    if (headers['transfer-encoding'] === 'chunked') {
      for (;;) {
        const sizeEnd = bytes.indexOf('\r\n', at);
        if (sizeEnd < 0) break;
        const size = parseInt(bytes.subarray(at, sizeEnd).toString('latin1'), 16);
        if (sizeEnd + 2 + size + 2 > bytes.length) break;
        at = sizeEnd + 2 + size + 2;
        if (size === 0) {
          complete = true;
          break;
        }
        parts.push(bytes.subarray(sizeEnd + 2, sizeEnd + 2 + size));
      }
    } else {
      const length = Number(headers['content-length'] ?? 0);
      parts.push(bytes.subarray(at, Math.min(bytes.length, at + length)));
      complete = at + length <= bytes.length;
      at += length;
    }
    responses.push({ status, headers, body: Buffer.concat(parts).toString('utf8'), complete });
    if (!complete) break;
  }
  return responses;
}
