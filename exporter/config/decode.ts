import { MAX_CONFIG_BYTES } from './limits';

/** A problem with the bytes of a file, before it is YAML. */
export interface DecodeProblem {
  line: number;
  column: number;
  message: string;
}

/** The text of a config file: at most MAX_CONFIG_BYTES of UTF-8, without a byte order mark. */
export function decodeConfigText(input: string | Buffer): string | DecodeProblem {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.length;
  if (size > MAX_CONFIG_BYTES) {
    return { line: 1, column: 1, message: `file is larger than ${MAX_CONFIG_BYTES / (1024 * 1024)} MiB` };
  }
  if (typeof input === 'string') return input.startsWith('\uFEFF') ? input.slice(1) : input;
  try {
    // Strips a byte order mark.
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    return invalidUtf8(input);
  }
}

function invalidUtf8(bytes: Buffer): DecodeProblem {
  const offset = firstInvalidByte(bytes);
  const lineStart = offset === 0 ? 0 : bytes.lastIndexOf(0x0a, offset - 1) + 1;
  const line = countNewlines(bytes, offset) + 1;
  const column = new TextDecoder('utf-8').decode(bytes.subarray(lineStart, offset)).length + 1;
  const byte = (bytes[offset] ?? 0).toString(16).toUpperCase().padStart(2, '0');
  return { line, column, message: `file is not valid UTF-8: byte 0x${byte} at offset ${offset}` };
}

/** Binary search for the shortest prefix that cannot begin a UTF-8 text. */
function firstInvalidByte(bytes: Buffer): number {
  if (decodesAsPrefix(bytes)) return lastSequenceStart(bytes); // only the end is cut short
  let good = 0;
  let bad = bytes.length;
  while (bad - good > 1) {
    const middle = (good + bad) >>> 1;
    if (decodesAsPrefix(bytes.subarray(0, middle))) good = middle;
    else bad = middle;
  }
  return bad - 1;
}

/** True when the bytes are UTF-8 except perhaps for a sequence cut short at the end. */
function decodesAsPrefix(bytes: Uint8Array): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function lastSequenceStart(bytes: Buffer): number {
  let offset = bytes.length - 1;
  while (offset > 0 && ((bytes[offset] ?? 0) & 0xc0) === 0x80) offset--;
  return offset;
}

function countNewlines(bytes: Buffer, end: number): number {
  let count = 0;
  for (let at = bytes.indexOf(0x0a); at !== -1 && at < end; at = bytes.indexOf(0x0a, at + 1)) count++;
  return count;
}
