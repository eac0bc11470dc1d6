/** Where a source delivers what it produces. The connection implements it. */
export interface SourceSink {
  /** One value from the source (an event, or a value to send as `{ data: value }`). */
  next(value: unknown): void;
  /** The source failed; nothing more will come. */
  error(err: unknown): void;
  /** The source ended; nothing more will come. */
  complete(): void;
  /**
   * Backpressure for pull sources: `undefined` when the connection can take more now, otherwise a
   * promise that settles when it can (or when it has closed). Push sources ignore it.
   */
  ready(): Promise<void> | undefined;
}

/** One running subscription to whatever a handler returned. */
export interface StreamSource {
  /** Starts producing into `sink`. Called once. */
  start(sink: SourceSink): void;
  /** Tears the source down: unsubscribe, `return()` or `cancel()`. Safe to call more than once. */
  stop(): void;
}
