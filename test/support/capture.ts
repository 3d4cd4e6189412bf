import { once } from 'node:events';
import type { Netns } from '../lab';

/**
 * Starts tcpdump in `ns` on `ifname`, writing a nanosecond-precision pcap of what `filter` matches to
 * `file` (read it with test/support/pcap.ts), and resolves once it captures; `stop()` ends it and
 * resolves once the file is complete, or rejects when the kernel dropped packets of the capture.
 */
export async function startCapture(
  ns: Netns,
  ifname: string,
  file: string,
  filter: string,
): Promise<{ stop: () => Promise<void> }> {
  const tcpdump = ns.spawn([
    'tcpdump',
    // -B: a burst of probes (a trace round sends dozens in a millisecond) overflows the default buffer.
    ...[
      '-i',
      ifname,
      '-w',
      file,
      '-U',
      '--immediate-mode',
      '-B',
      '16384',
      '-n',
      '--time-stamp-precision=nano',
    ],
    filter,
  ]);
  let stderr = '';
  tcpdump.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const deadline = Date.now() + 10_000;
  while (!/listening on/.test(stderr)) {
    if (Date.now() > deadline || tcpdump.exitCode !== null)
      throw new Error(`tcpdump did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Margin: tcpdump reports "listening" a moment before its capture really starts.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return {
    stop: async () => {
      const exited = once(tcpdump, 'exit');
      tcpdump.kill('SIGINT');
      await exited;
      const dropped = /(\d+) packets? dropped by kernel/.exec(stderr);
      if (dropped && Number(dropped[1]) > 0) {
        // A capture with holes is no truth to compare with: say so rather than report missing probes.
        throw new Error(
          `tcpdump dropped ${dropped[1]} packets (${stderr.trim().split('\n').slice(-3).join('; ')})`,
        );
      }
    },
  };
}
