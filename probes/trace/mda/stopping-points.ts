/**
 * The MDA stopping rule (Augustin et al., "Multipath tracing with the Paris traceroute", 2007; the
 * closed form of Veitch et al., INFOCOM 2009): with k − 1 next hops of a vertex seen, n_k probes
 * through it, each on a flow of its own, rule out a k-th next hop with probability `confidence`
 * when the load balancer spreads flows uniformly: n_k = ⌈ln(α/k) / ln((k−1)/k)⌉, α = 1 − confidence.
 *
 * 95 %: 6, 11, 16, 21, 27, 32, 38, 44, 50 probes to rule out a 2nd … 10th next hop.
 */
export function stoppingPoint(k: number, confidence: number): number {
  if (!Number.isInteger(k) || k < 2) throw new RangeError(`k must be an integer of at least 2, got ${k}`);
  if (!(confidence > 0 && confidence < 1))
    throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const alpha = 1 - confidence;
  const exact = Math.log(alpha / k) / Math.log((k - 1) / k);
  // Floating point may land a hair above an integer the exact quotient equals; 1e-9 is far below
  // the gap between two stopping points.
  return Math.ceil(exact - 1e-9);
}

/** Probes needed through a vertex of which `seen` next hops were found (0 seen: as for 1, the first probe may be lost). */
export function probesToRuleOutAnother(seen: number, confidence: number): number {
  return stoppingPoint(Math.max(seen, 1) + 1, confidence);
}
