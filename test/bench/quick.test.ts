// `npm run bench` must keep working: its --quick mode runs every workload against the two
// baselines and both eventide servers and writes a report. Timings are not asserted (the machine
// is shared and noisy); only that the run completes and reports a number for each server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../support/processes.js';

const exec = promisify(execFile);

test('bench --quick runs every workload and writes a report', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'eventide-bench-test-'));
  const out = join(dir, 'quick.md');
  try {
    await exec(
      process.execPath,
      ['bench/run.mjs', '--quick', '--only', 'plain,ceiling,eventide-hub,eventide-obs', '--workload', 'burst,steady,seed,idle,slow', '--out', out],
      { cwd: repoRoot, maxBuffer: 64 * 1024 * 1024, timeout: 170_000 },
    );
    const report = readFileSync(out, 'utf8');
    const burstRow = report.split('\n').find((line) => line.startsWith('| broadcast burst,') && line.includes('deliveries/s'));
    assert.ok(burstRow, 'the report has a burst row');
    const cells = burstRow.split('|').slice(2, -1).map((c) => c.trim());
    assert.equal(cells.length, 4, `one cell per server: ${burstRow}`);
    for (const cell of cells) assert.match(cell, /^[\d,.]+$/, `every server delivered and reported a number: ${burstRow}`);
    for (const workload of ['steady broadcast', 'seed workload', 'idle, ', 'slow client']) {
      assert.ok(report.includes(`| ${workload}`), `the report covers "${workload}"`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
