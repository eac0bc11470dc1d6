// A byte range of a file as a web ReadableStream: read chunk by chunk as the client takes it, the
// descriptor released when the range is sent, the body is cancelled, or reading fails.
import { open, type FileHandle } from 'node:fs/promises';
import type { FileBody } from '../../core/exchange.js';

const CHUNK = 64 * 1024;

/** Opens the file now (so a vanished file is an error before the head is sent); `done` settles when the descriptor is released. */
export async function fileStream(file: FileBody): Promise<{ stream: ReadableStream<Uint8Array>; done: Promise<void> }> {
  const handle: FileHandle = await open(file.path, 'r');
  let position = file.start;
  let released = false;
  let onDone!: () => void;
  const done = new Promise<void>((resolve) => (onDone = resolve));
  const release = async () => {
    if (released) return;
    released = true;
    await handle.close().catch(() => {});
    onDone();
  };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const want = Math.min(CHUNK, file.end + 1 - position);
        if (want <= 0) {
          controller.close();
          await release();
          return;
        }
        try {
          const buffer = new Uint8Array(want);
          const { bytesRead } = await handle.read(buffer, 0, want, position);
          if (bytesRead === 0) throw new Error(`${file.path} ended before the byte range did`);
          position += bytesRead;
          controller.enqueue(bytesRead === want ? buffer : buffer.subarray(0, bytesRead));
        } catch (err) {
          await release();
          controller.error(err);
        }
      },
      cancel: release,
    },
    { highWaterMark: 0 },
  );
  return { stream, done };
}
