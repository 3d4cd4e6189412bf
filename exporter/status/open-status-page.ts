import type { Logger } from '../logging';
import { readPageAssets } from './page-assets';
import { StatusRoutes } from './status-routes';
import { StatusStore } from './status-store';

export interface OpenedStatusPage {
  readonly store: StatusStore;
  readonly routes: StatusRoutes;
}

/**
 * The status page of the CLI: its store and routes, or undefined when its files cannot be read.
 * Then the error is logged and the exporter runs without the page: a packaging mistake must not
 * stop the probes and /metrics.
 */
export function openStatusPage(
  logger: Logger,
  page: { version?: string | undefined; reload: boolean; publicDir?: string },
): OpenedStatusPage | undefined {
  let assets;
  try {
    assets = readPageAssets(page.publicDir);
  } catch (error) {
    logger.error('status page off: its files cannot be read', {
      code: (error as { code?: string }).code ?? 'ERR_UNKNOWN',
      err: error as Error,
    });
    return undefined;
  }
  const store = new StatusStore();
  return { store, routes: new StatusRoutes({ store, assets, version: page.version, reload: page.reload }) };
}
