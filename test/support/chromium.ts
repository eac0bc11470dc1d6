// Launches Debian's Chromium through playwright-core. Outside CI, a machine without Chromium skips
// browser tests with a message; under CI=true a missing browser fails them.
import { existsSync } from 'node:fs';
import { CHROMIUM_FLAGS } from './chromium-flags.mjs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Why browser tests cannot run here, or undefined when they can. Under CI, never a reason. */
export function chromiumSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  if (process.env.CI) return undefined; // let the launch fail loudly
  return `Chromium not found at ${CHROMIUM_PATH} (apt-get install -y chromium): browser tests skipped`;
}

export async function launchChromium(): Promise<{ browser: Browser; close(): Promise<void> }> {
  const browser = await chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...CHROMIUM_FLAGS],
  });
  // playwright gives the browser a fresh, empty profile of its own.
  return { browser, close: () => browser.close() };
}
