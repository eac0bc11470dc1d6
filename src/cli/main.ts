#!/usr/bin/env node
// The `eventide` command. `eventide hub` runs a Mercure hub; see `eventide hub --help`.
import { readFileSync } from 'node:fs';
import { ConfigError, readConfig } from './config.js';
import { HUB_HELP, MAIN_HELP } from './help.js';
import { startHub } from './hub-command.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(MAIN_HELP);
    return command === undefined ? 2 : 0;
  }
  if (command === '--version' || command === '-v') {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (command !== 'hub') {
    process.stderr.write(`eventide: unknown command ${JSON.stringify(command)}\n\n${MAIN_HELP}`);
    return 2;
  }
  let config;
  try {
    config = readConfig(rest, process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`eventide hub: ${err.message}\nRun "eventide hub --help" for the options.\n`);
    return 2;
  }
  if (config.help) {
    process.stdout.write(HUB_HELP);
    return 0;
  }
  if (config.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (config.mercure.publisherJwt === undefined) {
    process.stderr.write('eventide hub: warning: no publisher key (--jwt-key, --publisher-jwt-key or --jwks-url): nobody can publish over HTTP\n');
  }
  const running = await startHub(config);
  process.stdout.write(
    `eventide hub listening on ${running.url} (Mercure endpoint /.well-known/mercure, ${config.redisUrl ? 'Redis' : 'memory'} backend)\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await running.close();
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`eventide hub: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
