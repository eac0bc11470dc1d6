// Runs the behaviour suite (test/platforms/suite.ts: the same test bodies as on node:http) inside
// Bun (`bun test`) or Deno (`deno test`) against createFetchHandler served by Bun.serve or
// Deno.serve, and reports each suite case as its own node:test test.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/processes.js';
import { runToEnd, runtimeBinary, type Runtime } from './runtime-bin.js';

const suiteFile = 'test/runtimes/fixtures/behaviour.suite.ts';
const cases = [...readFileSync(join(repoRoot, 'test/platforms/suite.ts'), 'utf8').matchAll(/^\s+it\('(.+?)',/gm)].map((m) => m[1]);

/**
 * Cases that fail on a runtime for a reason outside eventide, with the reason. Reported as todo:
 * they run and their outcome is shown, but do not fail the run.
 */
const known: Record<Runtime, Record<string, string>> = {
  bun: {},
  deno: {},
};

const results: Record<Runtime, { output: string; code: number | null; outcome: Map<string, 'pass' | 'fail'> }> = {} as never;

const unescape = (text: string) =>
  text.replace(/&gt;/g, '>').replace(/&lt;/g, '<').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&#39;/g, "'").replace(/&amp;/g, '&');

/** Per-case outcomes from the JUnit report both runtimes write. */
function outcomes(junit: string): Map<string, 'pass' | 'fail'> {
  const map = new Map<string, 'pass' | 'fail'>();
  for (const match of junit.matchAll(/<testcase name="([^"]*)"[^>]*?(\/>|>([\s\S]*?)<\/testcase>)/g)) {
    const fullName = unescape(match[1]);
    const name = cases.find((c) => fullName === c || fullName.endsWith(`> ${c}`));
    if (!name) continue;
    map.set(name, /<failure|<error/.test(match[3] ?? '') ? 'fail' : 'pass');
  }
  return map;
}

export function reportSuiteUnder(runtime: Runtime): void {
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'eventide-runtimes-'));
    try {
      const report = join(dir, `${runtime}.xml`);
      const args =
        runtime === 'bun'
          ? ['test', '--timeout', '60000', '--reporter=junit', `--reporter-outfile=${report}`, `./${suiteFile}`]
          : ['test', '--allow-all', '--sloppy-imports', `--junit-path=${report}`, suiteFile];
      const { code, output } = await runToEnd(runtimeBinary(runtime), args, {}, 110_000);
      const junit = existsSync(report) ? readFileSync(report, 'utf8') : '';
      results[runtime] = { code, output, outcome: outcomes(junit) };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test(`${runtime}: the suite has cases to run`, () => {
    assert.ok(cases.length >= 10, `found ${cases.length} cases in test/platforms/suite.ts`);
  });

  for (const name of cases) {
    const reason = known[runtime][name];
    test(`${runtime}: ${name}`, { todo: reason }, () => {
      const result = results[runtime];
      const outcome = result.outcome.get(name);
      assert.ok(outcome, `no result for this case in the ${runtime} run (exit ${result.code}):\n${result.output.slice(-3000)}`);
      assert.equal(outcome, 'pass', `failed under ${runtime}:\n${result.output.slice(-6000)}`);
    });
  }
  test(`${runtime}: the run reports no failure other than the known ones`, () => {
    const result = results[runtime];
    const unexpected = [...result.outcome].filter(([name, outcome]) => outcome === 'fail' && !known[runtime][name]);
    assert.deepEqual(unexpected, []);
    if (Object.keys(known[runtime]).length === 0) assert.equal(result.code, 0, result.output.slice(-3000));
  });
}
