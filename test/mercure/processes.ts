// `eventide hub` as a child process: start it from the built package, read the URL it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../support/processes.js';

export const CLI = join(repoRoot, 'dist/cli/main.js');

export interface HubProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** SIGTERM, resolves with the exit code once it exited. */
  stop(): Promise<number | null>;
  /** SIGKILL, resolves once it exited. */
  kill(): Promise<void>;
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Starts `eventide hub ...args` and resolves once it printed the URL it listens on. */
export function startHubProcess(args: string[], env: Record<string, string> = {}): Promise<HubProcess> {
  return startHubProcessAt(CLI, args, repoRoot, env);
}

/** Starts the `eventide` executable at `bin` (a script or an installed .bin link) with `hub ...args`. */
export function startHubProcessAt(bin: string, args: string[], cwd: string, env: Record<string, string> = {}): Promise<HubProcess> {
  return new Promise((resolve, reject) => {
    const command = bin.endsWith('.js') ? process.execPath : bin;
    const argv = bin.endsWith('.js') ? [bin, 'hub', ...args] : ['hub', ...args];
    const child = spawn(command, argv, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`eventide hub printed no URL within 20 s:\n${output}`));
    }, 20_000);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`eventide hub exited with ${code} before listening:\n${output}`));
    };
    child.once('exit', onExit);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      const match = /listening on (https?:\/\/[^\s]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.off('exit', onExit);
        resolve({
          child,
          url: match[1]!,
          output: () => output,
          stop: () => {
            child.kill('SIGTERM');
            return exited(child);
          },
          kill: async () => {
            child.kill('SIGKILL');
            await exited(child);
          },
        });
      }
    });
  });
}

/** Runs `eventide ...args` to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
