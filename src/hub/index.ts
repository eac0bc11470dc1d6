// The hub: named broadcast channels with ids, bounded history, Last-Event-ID resume and
// encode-once fan-out, over a backend that can be swapped (memory here, Redis in eventide/redis).
export { Hub } from './hub.js';
export { ANCHOR_EVENT_TYPE, GAP_EVENT_TYPE } from './types.js';
export type { GapSignalData, HubEvent, HubHistoryOptions, HubOptions, SubscribeOptions } from './types.js';
export { isAnchor } from './prepared.js';
export { MemoryBackend, createMemoryBackend } from './memory.js';
export type { MemoryBackendOptions } from './memory.js';
export type { EventRecord, HistoryLimits, HubBackend, ReadResult, StoredEvent } from './backend.js';
