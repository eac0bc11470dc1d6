// Stream admission and accounting: a slot is reserved when a request for a stream is admitted
// (before its body is read or its handler awaited) and released when the stream ends, or at once
// if the handler fails or answers without streaming. Limits therefore hold under concurrency.
import type { CloseReason, SseConnection } from '../connection/connection.js';
import { EventideError } from '../errors.js';

/** Counters of an app's streams. */
export interface AppStats {
  /** Streams open now. */
  openStreams: number;
  /** Streams opened since start. */
  totalStreams: number;
  /** Streams closed because the client did not read fast enough (the slow-client policy). */
  slowClientsClosed: number;
  /** Streams refused with 503 because a limit was reached or the app was closing. */
  rejectedStreams: number;
}

/** A reserved place for one stream. */
export interface StreamSlot {
  /** The client address it was reserved for; `undefined` when the registry was not told it (no per-address limit). */
  readonly address: string | undefined;
  /** Gives the slot back; safe to call more than once. */
  release(): void;
}

export class StreamRegistry {
  readonly stats: AppStats = { openStreams: 0, totalStreams: 0, slowClientsClosed: 0, rejectedStreams: 0 };
  /**
   * Open connections, with the client address whose place each holds (null: its slot had been
   * released already; undefined: the registry was not told the address). No slot object is kept
   * per stream.
   */
  readonly open = new Map<SseConnection, string | null | undefined>();
  readonly #maxStreams: number;
  readonly #maxPerAddress: number;
  readonly #perAddress = new Map<string, number>();
  #reserved = 0;
  #closing = false;

  constructor(maxStreams: number, maxPerAddress: number) {
    this.#maxStreams = maxStreams;
    this.#maxPerAddress = maxPerAddress;
  }

  /** From now on every new stream is refused. */
  stopAdmitting(): void {
    this.#closing = true;
  }

  /**
   * True when slots are counted per client address (`maxStreamsPerAddress`): `reserve` must then
   * be told the address. Otherwise no address is kept (reading it costs a held connection memory).
   */
  get limitsAddresses(): boolean {
    return this.#maxPerAddress > 0;
  }

  /**
   * Reserves a slot, or returns the 503 error to answer with. `address` may be left out (and is
   * then not kept) unless {@link limitsAddresses}.
   */
  reserve(address: string | undefined): StreamSlot | EventideError {
    let refusal: string | undefined;
    if (this.#closing) refusal = 'the server is shutting down';
    else if (this.#maxStreams > 0 && this.#reserved >= this.#maxStreams) refusal = `the server holds its maximum of ${this.#maxStreams} streams`;
    else if (this.#maxPerAddress > 0 && (this.#perAddress.get(address!) ?? 0) >= this.#maxPerAddress) {
      refusal = `this client address holds its maximum of ${this.#maxPerAddress} streams`;
    }
    if (refusal) {
      this.stats.rejectedStreams++;
      return new EventideError('EVENTIDE_TOO_MANY_STREAMS', `${refusal}; retry later`, { status: 503, expose: true });
    }
    this.#reserved++;
    if (this.#maxPerAddress > 0) this.#perAddress.set(address!, (this.#perAddress.get(address!) ?? 0) + 1);
    return new Slot(this, address);
  }

  /** Gives back a slot's place. Called once per slot, by the slot. */
  release(address: string | undefined): void {
    this.#reserved--;
    if (this.#maxPerAddress === 0 || address === undefined) return;
    const count = (this.#perAddress.get(address) ?? 1) - 1;
    if (count <= 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, count);
  }

  /** A stream opened in `slot` (one this registry reserved): its place passes to the stream, and the slot is spent. */
  opened(connection: SseConnection, slot: StreamSlot): void {
    this.open.set(connection, (slot as Slot).handOver());
    this.stats.openStreams = this.open.size;
    this.stats.totalStreams++;
  }

  /** A stream ended; its slot is released. */
  closed(connection: SseConnection, reason: CloseReason): void {
    const address = this.open.get(connection);
    if (!this.open.delete(connection)) return;
    if (address !== null) this.release(address);
    this.stats.openStreams = this.open.size;
    if (reason === 'slow-client') this.stats.slowClientsClosed++;
  }
}

/** A slot as a small object rather than a closure: one is held by every open stream. */
class Slot implements StreamSlot {
  readonly address: string | undefined;
  #registry: StreamRegistry | undefined;

  constructor(registry: StreamRegistry, address: string | undefined) {
    this.#registry = registry;
    this.address = address;
  }

  release(): void {
    const registry = this.#registry;
    if (registry === undefined) return;
    this.#registry = undefined;
    registry.release(this.address);
  }

  /** Passes the place to an open stream (null if released already): releasing the slot does nothing afterwards. */
  handOver(): string | null | undefined {
    if (this.#registry === undefined) return null;
    this.#registry = undefined;
    return this.address;
  }
}
