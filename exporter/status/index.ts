export type { StatusStoreOptions, StatusTarget } from './status-store';
export { StatusStore } from './status-store';
export type { StatusRoutesOptions } from './status-routes';
export { StatusRoutes } from './status-routes';
export { statusTarget } from './status-target';
export type { OpenedStatusPage } from './open-status-page';
export { openStatusPage } from './open-status-page';
