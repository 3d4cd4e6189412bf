import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

/** PEM files made with the openssl CLI for one test: a CA, a server and a client it signed, a stranger. */
export interface TestCertificates {
  readonly dir: string;
  /** Paths of the PEM files. */
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  /** Signed by the CA, for client certificate authentication. */
  readonly clientCert: string;
  readonly clientKey: string;
  /** Self-signed: a client certificate the CA did not sign. */
  readonly strangerCert: string;
  readonly strangerKey: string;
  read(file: string): Buffer;
  /** A second server certificate from the same CA (for rotation), written over serverCert/serverKey. */
  rotateServer(): void;
  /** A client certificate the CA signed with these subjectAltName entries (`DNS:a,IP:::1`): its cert and key paths. */
  signClient(name: string, subjectAltName: string): { cert: string; key: string };
  remove(): void;
}

/** EC P-256 keys: fast to make. The server certificate is valid for 127.0.0.1, ::1 and localhost. */
export function makeCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'netdiag-tls-'));
  // Readable by the user the exporter switches to (nobody) when started as root.
  chmodSync(dir, 0o755);
  const file = (name: string): string => path.join(dir, name);
  const openssl = (...args: string[]): void => void execFileSync('openssl', args, { stdio: 'pipe' });
  const key = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

  openssl(
    ...['req', '-x509', ...key, '-keyout', file('ca.key'), '-out', file('ca.crt'), '-days', '2'],
    ...['-subj', '/CN=netdiag test CA', '-addext', 'basicConstraints=critical,CA:TRUE'],
  );
  const signed = (name: string, subject: string, extensions: string): void => {
    writeFileSync(file(`${name}.ext`), extensions);
    openssl('req', ...key, '-keyout', file(`${name}.key`), '-out', file(`${name}.csr`), '-subj', subject);
    openssl(
      'x509',
      ...['-req', '-in', file(`${name}.csr`), '-CA', file('ca.crt'), '-CAkey', file('ca.key')],
      ...['-CAcreateserial', '-days', '2', '-extfile', file(`${name}.ext`), '-out', file(`${name}.crt`)],
    );
  };
  const server = (): void =>
    signed(
      'server',
      '/CN=localhost',
      'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    );
  server();
  signed('client', '/CN=prometheus', 'extendedKeyUsage=clientAuth\n');
  openssl(
    ...['req', '-x509', ...key, '-keyout', file('stranger.key'), '-out', file('stranger.crt')],
    ...['-days', '2', '-subj', '/CN=stranger'],
  );
  for (const name of ['ca.key', 'server.key', 'client.key', 'stranger.key']) chmodSync(file(name), 0o644);
  return {
    dir,
    caCert: file('ca.crt'),
    serverCert: file('server.crt'),
    serverKey: file('server.key'),
    clientCert: file('client.crt'),
    clientKey: file('client.key'),
    strangerCert: file('stranger.crt'),
    strangerKey: file('stranger.key'),
    read: (name) => readFileSync(name),
    rotateServer: () => {
      server();
      chmodSync(file('server.key'), 0o644);
    },
    signClient: (name, subjectAltName) => {
      signed(name, `/CN=${name}`, `subjectAltName=${subjectAltName}\nextendedKeyUsage=clientAuth\n`);
      return { cert: file(`${name}.crt`), key: file(`${name}.key`) };
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
