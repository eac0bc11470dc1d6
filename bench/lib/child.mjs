// Child processes with an IPC request/response channel, a raised file-descriptor limit, and a
// deadline on every request so that a server that cannot keep up is reported, never waited on forever.
import { spawn } from 'node:child_process';

const FD_LIMIT = 65536;

/**
 * Starts `node [nodeArgs] script` through `sh` so that `ulimit -n` can be raised first (it works as
 * root or when the hard limit allows; otherwise the current limit stays and is reported).
 * `execPath` runs another runtime instead (Bun, Deno: both speak Node's IPC channel); `nodeArgs`
 * are then that runtime's arguments before the script.
 */
export function startChild(script, { nodeArgs = [], env = {}, label = script, execPath = process.execPath } = {}) {
  const sh = `ulimit -n ${FD_LIMIT} 2>/dev/null || ulimit -n hard 2>/dev/null; exec "$0" "$@"`;
  const proc = spawn('sh', ['-c', sh, execPath, ...nodeArgs, script], {
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
    env: { ...process.env, ...env },
  });
  let stderr = '';
  proc.stderr.on('data', (d) => {
    stderr += d;
    if (stderr.length > 20000) stderr = stderr.slice(-10000);
  });
  let nextId = 1;
  const pending = new Map();
  let exited = null;
  let onReady;
  const ready = new Promise((resolve, reject) => {
    onReady = { resolve, reject };
  });
  proc.on('message', (msg) => {
    if (msg.ready) return onReady.resolve(msg);
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    clearTimeout(p.timer);
    if (msg.ok) p.resolve(msg);
    else p.reject(new Error(`${label}: ${msg.error}`));
  });
  proc.on('exit', (code, signal) => {
    exited = { code, signal };
    const err = new Error(`${label} exited (${signal ?? code})${stderr ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
    err.exited = true;
    onReady.reject(err);
    for (const p of pending.values()) { clearTimeout(p.timer); p.reject(err); }
    pending.clear();
  });

  return {
    proc,
    label,
    get exited() { return exited; },
    get stderr() { return stderr; },
    async waitReady(timeoutMs = 30000) {
      let t;
      const timeout = new Promise((_, rej) => { t = setTimeout(() => rej(new Error(`${label}: not ready after ${timeoutMs} ms`)), timeoutMs); });
      try { return await Promise.race([ready, timeout]); } finally { clearTimeout(t); }
    },
    /** Sends `{cmd, ...args}`; rejects with `err.timeout = true` after `timeoutMs`. */
    request(cmd, args = {}, timeoutMs = 30000) {
      if (exited) return Promise.reject(Object.assign(new Error(`${label} has exited`), { exited: true }));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(Object.assign(new Error(`${label}: ${cmd} timed out after ${timeoutMs} ms`), { timeout: true }));
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        proc.send({ id, cmd, ...args });
      });
    },
    /** Ends the child: SIGKILL unless `graceful` (needed for --cpu-prof), the benchmark keeps nothing from it. */
    async kill({ graceful = false } = {}) {
      if (exited) return;
      const done = new Promise((r) => proc.once('exit', r));
      if (graceful) {
        // Profiles are written at a clean exit; a child that does not get there in time is killed.
        this.request('exit', {}, 5000).catch(() => {});
        const t = setTimeout(() => proc.kill('SIGKILL'), 10000);
        await done;
        clearTimeout(t);
        return;
      }
      proc.kill('SIGKILL');
      await done;
    },
  };
}
