// Child processes for end-to-end tests: compile with tsc, run, read the URL they print.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const repoRoot = new URL('../..', import.meta.url).pathname;
const exec = promisify(execFile);

/**
 * Compiles `files` with tsc into `outDir` (inside the repo, so `import 'eventide'` resolves to the
 * built package by self-reference), with standard decorators or `experimentalDecorators`.
 */
export async function compile(files: string[], outDir: string, rootDir: string, experimentalDecorators: boolean): Promise<void> {
  mkdirSync(outDir, { recursive: true });
  const tsconfig = join(outDir, 'tsconfig.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        skipLibCheck: true,
        experimentalDecorators,
        outDir,
        rootDir,
        types: ['node'],
      },
      files,
    }),
  );
  try {
    await exec(process.execPath, [join(repoRoot, 'node_modules/typescript/bin/tsc'), '-p', tsconfig], { cwd: repoRoot });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`tsc failed (${experimentalDecorators ? 'experimentalDecorators' : 'standard decorators'}):\n${e.stdout}${e.stderr}`);
  }
}

/** Starts `node <script>` (or `node ...script` for an array) and resolves with the first http URL it prints. */
export function startProcess(script: string | string[], env: Record<string, string> = {}, cwd = repoRoot): Promise<{ child: ChildProcess; url: string; stop(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, Array.isArray(script) ? script : [script], { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} printed no URL within 20 s:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /http:\/\/[^\s)]+/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve({
          child,
          url: match[0],
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              child.once('exit', () => done());
              child.kill('SIGTERM');
            }),
        });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before printing a URL:\n${output}`));
    });
  });
}
