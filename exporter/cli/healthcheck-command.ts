import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { parseListenAddress } from '../server';
import { parseFlags } from './parse-flags';

export const HEALTHCHECK_USAGE = `usage: netdiag-exporter healthcheck [--web.listen-address=[HOST]:PORT] [--timeout=SECONDS]
  Asks a local exporter's /-/healthy over HTTP, then HTTPS (certificate not checked: it is this
  host's own exporter). Serving means 200, or 401 when a web config protects the endpoint.
  Exit 0 serving, 1 not. For container HEALTHCHECKs and exec probes.`;

/** Status code of GET /-/healthy at host:port, or undefined when nothing answered. */
function healthStatus(
  tls: boolean,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<number | undefined> {
  return new Promise((resolve) => {
    const options = { host, port, path: '/-/healthy', method: 'GET', timeout: timeoutMs };
    const onResponse = (response: { statusCode?: number | undefined; resume(): void }): void => {
      response.resume();
      resolve(response.statusCode);
    };
    const request = tls
      ? httpsRequest({ ...options, rejectUnauthorized: false }, onResponse)
      : httpRequest(options, onResponse);
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(undefined));
    request.end();
  });
}

export async function healthcheckCommand(
  argv: string[],
  out: { write(line: string): void },
): Promise<number> {
  const { values } = parseFlags(
    {
      args: argv,
      strict: true,
      options: {
        'web.listen-address': { type: 'string', default: ':9469' },
        timeout: { type: 'string', default: '3' },
      },
    },
    'netdiag-exporter healthcheck --help',
  );
  const listen = parseListenAddress(values['web.listen-address']);
  const host =
    listen.host === undefined || listen.host === '' || listen.host === '::' || listen.host === '0.0.0.0'
      ? '127.0.0.1'
      : listen.host;
  const timeoutMs = Math.max(1, Number(values.timeout) * 1000 || 3000);
  for (const tls of [false, true]) {
    const status = await healthStatus(tls, host, listen.port, timeoutMs);
    if (status === 200 || status === 401) {
      out.write(`serving (${tls ? 'https' : 'http'} ${status})`);
      return 0;
    }
  }
  out.write('not serving');
  return 1;
}
