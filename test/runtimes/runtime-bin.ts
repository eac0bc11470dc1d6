// The Bun and Deno binaries the devDependencies install (npm packages `bun` and `deno`), and
// helpers to run code under them from Node tests.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../support/processes.js';

export type Runtime = 'bun' | 'deno';

/** The environment for a child runtime: Node's test-runner marker removed (their node:test would report to it). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

const candidates: Record<Runtime, string[]> = {
  // The `bun` package puts the platform binary in bin/ (postinstall, or the package itself);
  // the platform packages hold it when the postinstall did not run.
  bun: ['node_modules/bun/bin/bun.exe', 'node_modules/@oven/bun-linux-x64/bin/bun', 'node_modules/@oven/bun-linux-x64-baseline/bin/bun', 'node_modules/@oven/bun-linux-aarch64/bin/bun'],
  deno: ['node_modules/deno/deno', 'node_modules/@deno/linux-x64-glibc/deno', 'node_modules/@deno/linux-arm64-glibc/deno'],
};

/** Path of the runtime's binary; throws with what to do when it is missing. */
export function runtimeBinary(runtime: Runtime): string {
  for (const candidate of candidates[runtime]) {
    const path = join(repoRoot, candidate);
    if (existsSync(path)) return path;
  }
  throw new Error(`${runtime} binary not found under node_modules (run npm ci; the devDependency \`${runtime}\` ships it)`);
}

/** The arguments that run a TypeScript file from the repository under the runtime. */
export function runArgs(runtime: Runtime, file: string, config?: string): string[] {
  if (runtime === 'bun') return [...(config ? ['--tsconfig-override', config] : []), file];
  return ['run', '--allow-all', '--sloppy-imports', ...(config ? ['--config', config] : []), file];
}

/** Runs a command to its end; resolves with its exit code and output (never rejects on exit code). */
export function runToEnd(binary: string, args: string[], env: Record<string, string> = {}, timeoutMs = 300_000): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, args, { cwd: repoRoot, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} did not finish within ${timeoutMs} ms:\n${output.slice(-4000)}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

export interface RunningServer {
  child: ChildProcess;
  url: string;
  /** Output so far (stdout and stderr). */
  output(): string;
  /** Asks the fixture to close its app, then kills the process if it has not exited. */
  stop(): Promise<void>;
}

/** Starts a fixture server under `runtime` and resolves with the URL it prints. */
export function startServer(runtime: Runtime, args: string[], env: Record<string, string> = {}): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const child = spawn(runtimeBinary(runtime), args, { cwd: repoRoot, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    let resolved = false;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${runtime} ${args.join(' ')} printed no URL within 30 s:\n${output}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(output);
      if (match && !resolved) {
        resolved = true;
        clearTimeout(timer);
        const url = match[1];
        resolve({
          child,
          url,
          output: () => output,
          async stop() {
            if (child.exitCode === null) {
              await fetch(`${url}/__fixture/close`).catch(() => undefined);
              const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
              await exited;
              clearTimeout(killer);
            }
          },
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      if (!resolved) {
        clearTimeout(timer);
        reject(new Error(`${runtime} ${args.join(' ')} exited with ${code}:\n${output}`));
      }
    });
  });
}

/** Starts a fixture module's app under `runtime` (Bun.serve or Deno.serve). */
export function startFixture(runtime: Runtime, fixture: string, options: Record<string, unknown> = {}, config?: string): Promise<RunningServer> {
  const server = `test/runtimes/fixtures/serve-${runtime}.ts`;
  const args = runArgs(runtime, server, config);
  return startServer(runtime, [...args, fixture], { FIXTURE_OPTIONS: JSON.stringify(options) });
}
