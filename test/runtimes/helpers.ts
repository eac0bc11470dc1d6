// Shared by the runtime tests: the fixture's counters and polling for a condition.
import type { RunningServer } from './runtime-bin.js';

export async function stats(server: RunningServer): Promise<{ openStreams: number; slowClientsClosed: number; totalStreams: number; rss: number; errors: string[] }> {
  return (await fetch(`${server.url}/__fixture/stats`)).json() as never;
}

export async function eventually<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
