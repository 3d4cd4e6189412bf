import type { Attributes } from '@opentelemetry/api';
import { CLIENT_MODEL_FIELDS } from './client-model-fields';
import { sanitizeName } from './prometheus-text';
import { ProtoWriter, delimitedSize } from './proto-writer';

const METRIC = CLIENT_MODEL_FIELDS.Metric;
const PAIR = CLIENT_MODEL_FIELDS.LabelPair;

/**
 * The Metric.label fields (LabelPair messages) of an attribute set, in the text format's order and
 * names. A label name is sanitized and encoded once (a handful of names label every series); a
 * value is written straight into the writer's buffer. The first protobuf scrape of a process encodes
 * every label set (about 110,000 at 10,000 targets): with a pair built through Object.entries, a
 * sanitized name and four byte counts each, that was a third of its time (bench/results.md,
 * "Exporter: the scrape's cost", 2026-12-03 second part).
 */
export class LabelPairs {
  /** A label name's LabelPair.name field (tag, length, UTF-8), by attribute key. */
  private readonly names = new Map<string, Buffer>();

  /** Bytes of the label fields of `attributes`. */
  size(attributes: Attributes): number {
    let size = 0;
    for (const key in attributes) {
      const pair =
        this.name(key).length + delimitedSize(Buffer.byteLength(valueText(attributes[key]), 'utf8'));
      size += delimitedSize(pair);
    }
    return size;
  }

  /** Writes the label fields of `attributes` (`size(attributes)` bytes; the writer has room for them). */
  write(attributes: Attributes, writer: ProtoWriter): void {
    for (const key in attributes) {
      const name = this.name(key);
      const value = valueText(attributes[key]);
      const valueSize = utf8Length(value);
      writer.lengthPrefix(METRIC.label, name.length + delimitedSize(valueSize));
      writer.bytes(name);
      writer.lengthPrefix(PAIR.value, valueSize);
      if (valueSize === value.length) {
        // ASCII: a byte per character, no call into Buffer.write.
        const { buffer } = writer;
        let pos = writer.pos;
        for (let k = 0; k < value.length; k++) buffer[pos++] = value.charCodeAt(k);
        writer.pos = pos;
      } else writer.pos += writer.buffer.write(value, writer.pos, 'utf8');
    }
  }

  /** A label name's LabelPair.name field, made once per attribute key. */
  private name(key: string): Buffer {
    let field = this.names.get(key);
    if (field === undefined) {
      const name = Buffer.from(sanitizeName(key), 'utf8');
      const writer = new ProtoWriter(Buffer.alloc(delimitedSize(name.length)));
      writer.lengthPrefix(PAIR.name, name.length);
      writer.bytes(name);
      field = writer.buffer;
      this.names.set(key, field);
    }
    return field;
  }
}

/** An attribute's value as the text format prints it. */
function valueText(value: Attributes[string]): string {
  return typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
}

/** UTF-8 bytes of `text`: its length when it is ASCII (label values mostly are), counted otherwise. */
function utf8Length(text: string): number {
  for (let k = 0; k < text.length; k++)
    if (text.charCodeAt(k) >= 0x80) return Buffer.byteLength(text, 'utf8');
  return text.length;
}
