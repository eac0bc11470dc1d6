// The flags every Chromium launched by eventide's tests and scripts runs with: headless, no
// sandbox (CI runs as root), and none of the background traffic a fresh profile would start.
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
