// Loads the conformance corpus: test/fixtures/conformance/*.json, one WHATWG parsing case per file.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A chunk as the server writes it: text (sent as UTF-8) or raw bytes in hex. */
export type FixtureChunk = string | { hex: string };

export interface ExpectedEvent {
  type: string;
  data: string;
  lastEventId: string;
}

export interface Fixture {
  name: string;
  description: string;
  chunks: FixtureChunk[];
  /** Event names the client listens to besides `message`. */
  listen?: string[];
  /** The events a conforming client dispatches, in order. */
  events: ExpectedEvent[];
  /** Valid `retry` values the parser reports, in order (checked at the parser level only). */
  retries?: number[];
}

export const fixtureDir = new URL('../../fixtures/conformance/', import.meta.url).pathname;

export function loadFixtures(): Fixture[] {
  return readdirSync(fixtureDir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => ({ name: file.slice(0, -5), ...JSON.parse(readFileSync(join(fixtureDir, file), 'utf8')) }));
}

export function chunkBytes(chunk: FixtureChunk): Uint8Array {
  return typeof chunk === 'string' ? new TextEncoder().encode(chunk) : Uint8Array.from(Buffer.from(chunk.hex, 'hex'));
}

export function allBytes(fixture: Fixture): Uint8Array {
  return Buffer.concat(fixture.chunks.map(chunkBytes));
}
