import type { K8sObject } from './helm-render';

/**
 * Which pods the rendered Prometheus operator monitors scrape, worked out as the operator does from the
 * objects alone: a ServiceMonitor takes the Services of its namespaces whose labels match its selector
 * and that have a port its endpoints name, then the pods those Services select; a PodMonitor takes the
 * pods its selector matches that have a container port its endpoints name. Selectors are matchLabels
 * only (the chart uses nothing else; a matchExpressions makes this throw rather than miscount).
 */

/** One way a workload's pods are scraped: the monitor, and for a ServiceMonitor the Service in between. */
export interface Scrape {
  monitor: string;
  kind: 'ServiceMonitor' | 'PodMonitor';
  via?: string;
}

const WORKLOAD_KINDS = new Set(['Deployment', 'DaemonSet', 'StatefulSet']);

export const selects = (
  labels: Record<string, string> = {},
  selector: Record<string, string> = {},
): boolean => Object.entries(selector).every(([k, v]) => labels[k] === v);

const matchLabels = (monitor: K8sObject): Record<string, string> => {
  if (monitor.spec.selector.matchExpressions !== undefined)
    throw new Error(`${monitor.kind} ${monitor.metadata.name}: matchExpressions are not counted here`);
  return monitor.spec.selector.matchLabels ?? {};
};

/** The workloads (Deployment, DaemonSet, StatefulSet) of a render. */
export const workloadsOf = (objects: readonly K8sObject[]): K8sObject[] =>
  objects.filter((o) => WORKLOAD_KINDS.has(o.kind));

/** Every scrape of each workload's pods, keyed "KIND/NAME" of the workload (an empty list: never scraped). */
export function scrapesByWorkload(objects: readonly K8sObject[]): Map<string, Scrape[]> {
  const result = new Map<string, Scrape[]>();
  const workloads = workloadsOf(objects);
  for (const w of workloads) result.set(`${w.kind}/${w.metadata.name}`, []);
  const inNamespaces = (monitor: K8sObject, o: K8sObject): boolean =>
    (monitor.spec.namespaceSelector?.matchNames ?? [monitor.metadata.namespace]).includes(
      o.metadata.namespace,
    );
  const containerPorts = (w: K8sObject): Set<string> =>
    new Set(
      w.spec.template.spec.containers.flatMap((c: K8sObject) =>
        (c.ports ?? []).map((p: K8sObject) => p.name),
      ),
    );
  for (const monitor of objects.filter((o) => o.kind === 'ServiceMonitor')) {
    const ports = new Set(monitor.spec.endpoints.map((e: K8sObject) => e.port));
    const services = objects.filter(
      (s) =>
        s.kind === 'Service' &&
        inNamespaces(monitor, s) &&
        selects(s.metadata.labels, matchLabels(monitor)) &&
        s.spec.ports.some((p: K8sObject) => ports.has(p.name)),
    );
    for (const service of services)
      for (const w of workloads)
        if (
          w.metadata.namespace === service.metadata.namespace &&
          selects(w.spec.template.metadata.labels, service.spec.selector)
        )
          result
            .get(`${w.kind}/${w.metadata.name}`)!
            .push({ monitor: monitor.metadata.name, kind: 'ServiceMonitor', via: service.metadata.name });
  }
  for (const monitor of objects.filter((o) => o.kind === 'PodMonitor')) {
    const ports = monitor.spec.podMetricsEndpoints.map((e: K8sObject) => e.port);
    for (const w of workloads)
      if (
        inNamespaces(monitor, w) &&
        selects(w.spec.template.metadata.labels, matchLabels(monitor)) &&
        ports.some((p: string) => containerPorts(w).has(p))
      )
        result
          .get(`${w.kind}/${w.metadata.name}`)!
          .push({ monitor: monitor.metadata.name, kind: 'PodMonitor' });
  }
  return result;
}
