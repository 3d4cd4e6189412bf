/** The expositions /metrics answers in. */
export type ScrapeFormat = 'text' | 'protobuf';

/** Content types of the answers: the text one is the one the exporter always sent. */
export const CONTENT_TYPE: Readonly<Record<ScrapeFormat, string>> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  protobuf: 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited',
};

const PROTOBUF_TYPE = 'application/vnd.google.protobuf';
const PROTOBUF_PROTO = 'io.prometheus.client.MetricFamily';

/**
 * The exposition an Accept header asks for (RFC 9110 content negotiation, the formats offered being
 * the text and the delimited MetricFamily protobuf): protobuf when a media range names it (with
 * proto=io.prometheus.client.MetricFamily and encoding=delimited, as Prometheus sends with native
 * histograms on) at a quality above 0 and at least that of every range the text matches (text/plain,
 * text/*, *\/*), the earlier range winning a tie; the text otherwise, and whenever the header is
 * missing or unreadable. A range with an unreadable q is ignored.
 */
export function negotiateFormat(accept: string | string[] | undefined): ScrapeFormat {
  if (accept === undefined) return 'text';
  const header = Array.isArray(accept) ? accept.join(',') : accept;
  let best: { format: ScrapeFormat; q: number } | undefined;
  for (const range of header.split(',')) {
    const [mediaType = '', ...parameterTexts] = range.split(';');
    const type = mediaType.trim().toLowerCase();
    const parameters = new Map<string, string>();
    for (const text of parameterTexts) {
      const equals = text.indexOf('=');
      if (equals < 0) continue;
      const name = text.slice(0, equals).trim().toLowerCase();
      const value = text
        .slice(equals + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      parameters.set(name, value);
    }
    const q = quality(parameters.get('q'));
    if (q === undefined || q === 0) continue;
    const format = rangeFormat(type, parameters);
    if (format && (!best || q > best.q)) best = { format, q };
  }
  return best?.format ?? 'text';
}

function rangeFormat(type: string, parameters: ReadonlyMap<string, string>): ScrapeFormat | undefined {
  if (type === PROTOBUF_TYPE) {
    const proto = parameters.get('proto');
    const encoding = parameters.get('encoding')?.toLowerCase();
    return proto === PROTOBUF_PROTO && encoding === 'delimited' ? 'protobuf' : undefined;
  }
  return type === 'text/plain' || type === 'text/*' || type === '*/*' ? 'text' : undefined;
}

/** A q parameter: absent is 1; "0" to "1" with at most three decimals (RFC 9110 12.4.2), else undefined. */
function quality(text: string | undefined): number | undefined {
  if (text === undefined) return 1;
  if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(text)) return undefined;
  return Number(text);
}
