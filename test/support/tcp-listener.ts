import type { ChildProcess } from 'node:child_process';
import type { Netns } from '../lab';

/**
 * A dual-stack TCP listener (IPv4-mapped addresses accepted) with a deep backlog that never accepts:
 * a knocked port that answers SYN-ACK, where a completed connection would wait in the accept queue
 * (ss Recv-Q) rather than be served.
 */
const LISTENER = [
  'import socket, sys, time',
  's = socket.socket(socket.AF_INET6)',
  's.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)',
  "s.bind(('::', int(sys.argv[1])))",
  's.listen(1024)',
  "print('ready', flush=True)",
  'time.sleep(3600)',
].join('\n');

/**
 * Starts the listener on `port` in `ns` (the lab kills it with the namespace) and resolves once it
 * listens, with its process (kill it to close the port); rejects with what it wrote to stderr if it
 * exits first.
 */
export async function startTcpListener(ns: Netns, port: number): Promise<ChildProcess> {
  const listener = ns.spawn(['python3', '-c', LISTENER, String(port)]);
  let stderr = '';
  listener.stderr?.on('data', (chunk: Buffer) => (stderr += String(chunk)));
  await new Promise<void>((resolve, reject) => {
    listener.stdout?.once('data', () => resolve());
    listener.once('exit', (code) =>
      reject(new Error(`listener on port ${port} exited (${code}): ${stderr}`)),
    );
  });
  return listener;
}
