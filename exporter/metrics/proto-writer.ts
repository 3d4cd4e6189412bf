/**
 * Protocol Buffers wire format, the few encodings the Prometheus exposition needs: varints (of
 * non-negative integers up to 2^53, the counts a double holds exactly), zigzag varints, doubles,
 * length-delimited fields. Writes into a Buffer the caller sized: every message's size is computed
 * first (the *Size functions), as a length prefix comes before its message.
 */
export class ProtoWriter {
  constructor(
    public buffer: Buffer,
    public pos = 0,
  ) {}

  varint(value: number): void {
    const { buffer } = this;
    let v = value;
    if (v < 0x80000000) {
      while (v > 0x7f) {
        buffer[this.pos++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
    } else {
      while (v > 0x7f) {
        buffer[this.pos++] = (v % 0x80) | 0x80;
        v = Math.floor(v / 0x80);
      }
    }
    buffer[this.pos++] = v;
  }

  /** A field's tag: its number and wire type (0 varint, 1 64-bit, 2 length-delimited). */
  tag(field: number, wireType: 0 | 1 | 2): void {
    this.varint((field << 3) | wireType);
  }

  uintField(field: number, value: number): void {
    this.tag(field, 0);
    this.varint(value);
  }

  sintField(field: number, value: number): void {
    this.tag(field, 0);
    this.varint(zigzag(value));
  }

  doubleField(field: number, value: number): void {
    this.tag(field, 1);
    this.pos = this.buffer.writeDoubleLE(value, this.pos);
  }

  /** The tag and length of a length-delimited field whose `size` bytes follow. */
  lengthPrefix(field: number, size: number): void {
    this.tag(field, 2);
    this.varint(size);
  }

  bytes(bytes: Uint8Array): void {
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.length;
  }
}

/** Bytes of `value` as a varint. */
export function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  let size = 4;
  let v = Math.floor(value / 0x10000000);
  while (v > 0) {
    size++;
    v = Math.floor(v / 0x80);
  }
  return size;
}

/** Zigzag encoding of a signed integer (sint32, sint64): 0, -1, 1, -2 ... become 0, 1, 2, 3 ... */
export function zigzag(value: number): number {
  return value >= 0 ? value * 2 : -value * 2 - 1;
}

/** Bytes of a varint field (tag of a field number below 16 included). */
export const uintFieldSize = (value: number): number => 1 + varintSize(value);

/** Bytes of a double field (field number below 16). */
export const DOUBLE_FIELD_SIZE = 9;

/** Bytes of a length-delimited field of `size` bytes (field number below 16). */
export const delimitedSize = (size: number): number => 1 + varintSize(size) + size;
