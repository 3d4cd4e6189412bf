import type { LogFields } from './logger';

/** Deep enough for any chain this code builds; a bound, so that a cyclic `cause` cannot loop. */
const MAX_CAUSES = 8;

/**
 * Spreads each Error among `fields` the way pino's standard serializer reports one, flattened for
 * logfmt: `err` stays the message (so existing searches keep matching), `err_code` carries the
 * error's stable code (ours or Node's: EACCES, ERR_CONFIG_LOAD, ...) and `err_cause` the messages of
 * its `cause` chain, outermost first, joined by ": " as pino's messageWithCauses joins them. An error
 * without a code or a cause adds nothing; fields that are not Errors pass through unchanged.
 */
export function withErrorDetails(fields: LogFields): LogFields {
  let expanded: LogFields | undefined;
  for (const [key, value] of Object.entries(fields)) {
    if (!(value instanceof Error)) continue;
    expanded ??= {};
    const code = codeOf(value);
    const causes = causeMessages(value);
    if (code !== undefined && fields[`${key}_code`] === undefined) expanded[`${key}_code`] = code;
    if (causes.length > 0 && fields[`${key}_cause`] === undefined)
      expanded[`${key}_cause`] = causes.join(': ');
  }
  if (!expanded) return fields;
  // Each detail right after its error, in the caller's order.
  const out: LogFields = {};
  for (const [key, value] of Object.entries(fields)) {
    out[key] = value;
    if (!(value instanceof Error)) continue;
    for (const suffix of ['_code', '_cause']) {
      const detail = expanded[`${key}${suffix}`];
      if (detail !== undefined) out[`${key}${suffix}`] = detail;
    }
  }
  return out;
}

/**
 * The fields withErrorDetails gives an Error, for a call site that must rewrite the texts first
 * (redacting the credentials a URL may carry): `err`, and `err_code` / `err_cause` when there are any.
 */
export function redactedErrorFields(error: unknown, redact: (text: string) => string): LogFields {
  if (!(error instanceof Error)) return { err: redact(String(error)) };
  const code = codeOf(error);
  const causes = causeMessages(error);
  return {
    err: redact(error.message),
    ...(code !== undefined && { err_code: code }),
    ...(causes.length > 0 && { err_cause: redact(causes.join(': ')) }),
  };
}

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

function causeMessages(error: Error): string[] {
  const messages: string[] = [];
  const seen = new Set<unknown>([error]);
  let cause: unknown = error.cause;
  while (cause !== undefined && !seen.has(cause) && messages.length < MAX_CAUSES) {
    seen.add(cause);
    messages.push(cause instanceof Error ? describe(cause) : String(cause));
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return messages;
}

/** A cause's message, prefixed by its code when the message does not already say it (EACCES, ...). */
function describe(error: Error): string {
  const code = codeOf(error);
  return code === undefined || error.message.includes(code) ? error.message : `${code} ${error.message}`;
}
