/**
 * Credentials in URLs, kept out of logs and error messages: an OTLP endpoint written as
 * https://user:pass@collector/… or …?api_key=… must not be printed at info level, nor on each
 * failed push.
 */

/** Query parameters whose values are credentials (matched case-insensitively, anywhere in the name). */
const SECRET_PARAMETER = /token|key|secret|passw|pwd|auth|sig|credential|session/i;

const REDACTED = '***';

/** `url` with its userinfo and credential-like query values replaced by ***; other text as is. */
export function redactUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return redactUrls(url);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    parsed.username = REDACTED;
    parsed.password = '';
  }
  for (const name of [...parsed.searchParams.keys()])
    if (SECRET_PARAMETER.test(name)) parsed.searchParams.set(name, REDACTED);
  return parsed.href;
}

/** Any text (an error message, say) with the credentials of every URL in it redacted. */
export function redactUrls(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@"']*@/gi, `$1${REDACTED}@`)
    .replace(/([?&]([^=&\s"']*))=([^&\s"']*)/g, (whole, head: string, name: string) =>
      SECRET_PARAMETER.test(name) ? `${head}=${REDACTED}` : whole,
    );
}
