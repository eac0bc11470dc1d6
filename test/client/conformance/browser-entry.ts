// Bundled with esbuild into the conformance page: exposes the recorder and eventide's EventSource.
import { record } from './record.js';
import { EventSource } from '../../../src/client/index.js';

(globalThis as Record<string, unknown>).eventideHarness = { record, EventSource };
