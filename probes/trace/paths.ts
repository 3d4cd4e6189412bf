import { createHash } from 'node:crypto';
import type { FlowPath, TraceHop, TracePath } from './trace-result';

const SILENT = '*';

/** Stable 16-hex-digit identity of a responder sequence ("*" for silent hops). */
export function pathHash(hops: ReadonlyArray<string | null>): string {
  return digest(hops.map((address) => address ?? SILENT).join(' '));
}

/** Identity of a set of paths: independent of order and of duplicates. */
export function pathSetHash(hashes: Iterable<string>): string {
  return digest([...new Set(hashes)].sort().join(','));
}

/**
 * The path of each flow: at each hop, the first responder that answered one of its probes (null if
 * none did); it ends at the hop where the destination (or an unreachable) answered it.
 */
export function flowPaths(hops: readonly TraceHop[], flows: number): FlowPath[] {
  const paths: FlowPath[] = [];
  for (let flow = 0; flow < flows; flow++) {
    const path: Array<string | null> = [];
    let reached = false;
    for (const hop of hops) {
      const responder = hop.responders.find((r) => r.flows.includes(flow));
      path.push(responder?.address ?? null);
      if (responder !== undefined && responder.kind !== 'hop') {
        reached = responder.kind === 'destination';
        break;
      }
    }
    paths.push({ flow, hops: path, reached, hash: pathHash(path) });
  }
  return paths;
}

/** The distinct paths among the flows', ordered by hash. */
export function distinctPaths(paths: readonly FlowPath[]): TracePath[] {
  const byHash = new Map<string, TracePath>();
  for (const path of paths) {
    const known = byHash.get(path.hash);
    if (known) known.flows.push(path.flow);
    else byHash.set(path.hash, { hash: path.hash, hops: [...path.hops], flows: [path.flow] });
  }
  return [...byHash.values()].sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
}

function digest(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}
