// Where an update id stands in the hub channel. A bounded index of the ids this process has seen
// (published here, or read from the channel for its subscribers) lets most resumes skip the scan
// of the retained history; ids it does not know are looked up by that scan.

/** Update id -> hub position, the most recent first to go when full. */
export class PositionIndex {
  readonly #positions = new Map<string, string>();

  constructor(private readonly limit: number) {}

  /** Records where an update is (a later update with the same id replaces it). */
  set(id: string, position: string): void {
    this.#positions.delete(id);
    this.#positions.set(id, position);
    if (this.#positions.size > this.limit) this.#positions.delete(this.#positions.keys().next().value!);
  }

  get(id: string): string | undefined {
    return this.#positions.get(id);
  }
}
