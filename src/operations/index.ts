// Operations that need no extra dependency, exported from the package root: the event hook,
// drain and health. The Prometheus metrics live in `eventide/metrics` (prom-client is optional).
export type { OperationsEvent, OperationsListener, RejectReason } from './events.js';
export type { DrainOptions } from './drain.js';
export type { HealthReport, ReadinessCheck } from './health.js';
export { healthController, hubReadiness } from './health-controller.js';
export type { HealthTarget, HealthControllerOptions } from './health-controller.js';
export type { AppOperations } from './app-operations.js';
