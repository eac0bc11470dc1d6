// The package root, `eventide`: curated named exports only. Internals stay unexported.
export { EventideError, httpError, isEventideError } from './errors.js';
export type { EventideErrorCode, EventideErrorOptions } from './errors.js';
export type { MessageEvent } from './protocol/types.js';
export { encodeEvent, encodeComment } from './protocol/encode.js';
export {
  Controller,
  Sse,
  Get,
  Post,
  Put,
  Patch,
  Delete,
  Head,
  Options,
  Ctx,
  Param,
  Query,
  Headers,
  Body,
  LastEventId,
  Signal,
  Req,
  Res,
  UseGuards,
} from './router/decorators.js';
export type { SseRouteOptions, RouteDecorator, ControllerDecorator, ParamDecorator, GuardsDecorator } from './router/decorators.js';
export type { HttpMethod, Guard } from './router/metadata.js';
export type { CorsOptions, CorsOrigin } from './core/cors.js';
export type { RequestContext } from './core/context.js';
export type { ControllerInput } from './core/bind.js';
export type { TrustProxy } from './core/client-address.js';
export { file } from './router/file.js';
export type { FileResponse, FileOptions } from './router/file.js';
export type { StreamOptions } from './connection/options.js';
export { createApp } from './platforms/node/index.js';
export { STREAM_ERROR_EVENT } from './connection/connection.js';
export type { App, AppOptions, AppStats, Http2App, Http2Handler, Http2Options } from './platforms/node/index.js';
export type { OpenStream, SigtermDrainOptions } from './platforms/node/create-app.js';
export { healthController, hubReadiness } from './operations/index.js';
export type {
  OperationsEvent,
  OperationsListener,
  RejectReason,
  DrainOptions,
  HealthReport,
  ReadinessCheck,
  HealthTarget,
  HealthControllerOptions,
  AppOperations,
} from './operations/index.js';
export { Hub, GAP_EVENT_TYPE, ANCHOR_EVENT_TYPE, isAnchor, MemoryBackend, createMemoryBackend } from './hub/index.js';
export type {
  GapSignalData,
  HubEvent,
  HubHistoryOptions,
  HubOptions,
  SubscribeOptions,
  MemoryBackendOptions,
  EventRecord,
  HistoryLimits,
  HubBackend,
  ReadResult,
  StoredEvent,
} from './hub/index.js';
