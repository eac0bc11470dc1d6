// Playwright configuration used by scripts/mercure-conformance.mjs: runs the Mercure suite found in
// MERCURE_SUITE_DIR in one Chromium (CHROMIUM_PATH, Debian's by default) against BASE_URL.
// A plain object, so that it needs nothing installed beside it.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CHROMIUM_FLAGS } from '../test/support/chromium-flags.mjs';

const suiteDir = process.env.MERCURE_SUITE_DIR;
if (!suiteDir) throw new Error('MERCURE_SUITE_DIR is not set: run this through scripts/mercure-conformance.mjs');

export default {
  testDir: suiteDir,
  testMatch: /mercure\.spec\.ts$/,
  outputDir: join(tmpdir(), 'eventide-mercure-conformance-results'),
  timeout: 15_000,
  workers: 1,
  retries: 0,
  reporter: 'list',
  use: {
    baseURL: process.env.BASE_URL,
    ignoreHTTPSErrors: true,
  },
  projects: [
    {
      name: 'chromium',
      use: {
        browserName: 'chromium',
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
          args: [...CHROMIUM_FLAGS],
        },
      },
    },
  ],
};
