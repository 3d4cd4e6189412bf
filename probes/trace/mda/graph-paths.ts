import { pathHash } from '../paths';
import type { TracePath } from '../trace-result';
import type { AnswerRecords } from './answer-records';

/** A silent hop's one vertex. */
const SILENT = null;

/** Paths listed at most: k-way splits in a row multiply paths; their count is still exact. */
const MAX_LISTED_PATHS = 256;

/**
 * The distinct paths through the graph the MDA found, from the first hop to the destination (or to the
 * last hop probed). With the MDA a flow is probed only at the hops it is needed for, so paths come
 * from the graph's edges, not from the flows: u → w where one flow met u then w; from a hop's only
 * vertex to every vertex of the next hop; and to a vertex no flow reached through a known one, from
 * every vertex of the hop before (the conservative reading). `flows`: the flows whose answers all lie
 * on the path. Ordered by hash, as the fixed flows' paths.
 */
export function graphPaths(
  records: AnswerRecords,
  firstHop: number,
  lastHop: number,
): { paths: TracePath[]; count: number } {
  const layers: Array<Array<string | null>> = [];
  for (let ttl = firstHop; ttl <= lastHop; ttl++) {
    const responders = records.respondersAt(ttl);
    layers.push(responders.length === 0 ? [SILENT] : responders);
  }
  const ending = endingResponders(records, firstHop, lastHop);
  const next = layers.map((layer, i) => edgesAfter(records, firstHop + i, layer, layers[i + 1], ending));
  const paths: TracePath[] = [];
  const walk = (i: number, vertex: string | null, hops: Array<string | null>): void => {
    if (paths.length >= MAX_LISTED_PATHS) return;
    const path = [...hops, vertex];
    const onward = next[i]!.get(vertex) ?? [];
    if (onward.length === 0) {
      paths.push({ hash: pathHash(path), hops: path, flows: flowsOn(records, firstHop, path) });
      return;
    }
    for (const w of onward) walk(i + 1, w, path);
  };
  for (const vertex of layers[0] ?? []) walk(0, vertex, []);
  paths.sort((a, b) => (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0));
  return { paths, count: countPaths(layers, next) };
}

function endingResponders(records: AnswerRecords, firstHop: number, lastHop: number): Set<string> {
  const ending = new Set<string>();
  for (let ttl = firstHop; ttl <= lastHop; ttl++)
    for (const answer of records.answersAt(ttl).values())
      if (answer.ends && answer.from) ending.add(answer.from);
  return ending;
}

/** Edges from each vertex of the hop at `ttl` to the next hop's (none from a destination or an unreachable). */
function edgesAfter(
  records: AnswerRecords,
  ttl: number,
  layer: ReadonlyArray<string | null>,
  nextLayer: ReadonlyArray<string | null> | undefined,
  ending: ReadonlySet<string>,
): Map<string | null, Array<string | null>> {
  const edges = new Map<string | null, Set<string | null>>();
  if (nextLayer === undefined) return new Map();
  const going = layer.filter((vertex) => vertex === null || !ending.has(vertex));
  for (const vertex of going) edges.set(vertex, new Set());
  if (going.length === 1) for (const w of nextLayer) edges.get(going[0]!)!.add(w);
  else {
    const here = records.answersAt(ttl);
    const there = records.answersAt(ttl + 1);
    const reached = new Set<string | null>();
    for (const [flow, answer] of here) {
      const after = there.get(flow);
      if (after === undefined || answer.from === null || after.from === null) continue;
      edges.get(answer.from)?.add(after.from);
      reached.add(after.from);
    }
    for (const w of nextLayer) if (!reached.has(w)) for (const vertex of going) edges.get(vertex)!.add(w);
  }
  return new Map([...edges].map(([vertex, onward]) => [vertex, [...onward]]));
}

function flowsOn(records: AnswerRecords, firstHop: number, path: ReadonlyArray<string | null>): number[] {
  const flows: number[] = [];
  for (let flow = 0; flow < records.flows; flow++) {
    let answered = false;
    let on = true;
    for (let i = 0; i < path.length && on; i++) {
      const answer = records.at(flow, firstHop + i);
      if (answer === undefined || answer.from === null) continue;
      answered = true;
      on = answer.from === path[i];
    }
    // Past the path's end (a longer path of another flow) the flow is not on it.
    for (let ttl = firstHop + path.length; on && records.at(flow, ttl) !== undefined; ttl++)
      on = records.at(flow, ttl)!.from === null;
    if (answered && on) flows.push(flow);
  }
  return flows;
}

function countPaths(
  layers: ReadonlyArray<ReadonlyArray<string | null>>,
  next: ReadonlyArray<ReadonlyMap<string | null, ReadonlyArray<string | null>>>,
): number {
  let counts = new Map<string | null, number>();
  let total = 0;
  for (let i = layers.length - 1; i >= 0; i--) {
    const here = new Map<string | null, number>();
    for (const vertex of layers[i]!) {
      const onward = next[i]!.get(vertex) ?? [];
      here.set(vertex, onward.length === 0 ? 1 : onward.reduce((sum, w) => sum + (counts.get(w) ?? 0), 0));
    }
    counts = here;
  }
  for (const vertex of layers[0] ?? []) total += counts.get(vertex) ?? 0;
  return total;
}
