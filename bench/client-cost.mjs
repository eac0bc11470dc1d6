#!/usr/bin/env node
// What eventide's client costs per received event on Node, over its two transports: node:http (the
// Node entry's default) and `fetch` (what a `fetch` option selects). A plain node:http server in
// another process holds N streams and writes one event to each every --every ms (so each event
// arrives as a chunk of its own, the costly case); this process runs the N EventSources and
// measures its own CPU time per event received over --seconds. The transports alternate for
// --rounds rounds, each in a fresh process, so both see the same machine.
//
//   node bench/client-cost.mjs [--clients 500] [--every 100] [--seconds 8] [--rounds 3]
//
// Uses dist/ (run `npm run build` first).
import { fork } from 'node:child_process';
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '500' },
    every: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '3' },
    role: { type: 'string' },
    transport: { type: 'string' },
    port: { type: 'string' },
  },
});
const clients = Number(values.clients);

if (values.role === 'server') {
  // One event to every stream every `every` ms, each written on its own.
  const streams = new Set();
  let n = 0;
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': open\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
  });
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  setInterval(() => {
    n++;
    const frame = `id: ${n}\ndata: ${n}\n\n`;
    for (const res of streams) res.write(frame);
  }, Number(values.every));
  process.on('disconnect', () => process.exit(0));
} else if (values.role === 'client') {
  const { EventSource } = await import(new URL('../dist/client/node.js', import.meta.url).href);
  const options = values.transport === 'fetch' ? { fetch: (input, init) => globalThis.fetch(input, init) } : {};
  let opened = 0;
  let received = 0;
  const sources = [];
  await new Promise((resolve) => {
    for (let i = 0; i < clients; i++) {
      const source = new EventSource(`http://127.0.0.1:${values.port}/`, options);
      source.onopen = () => ++opened === clients && resolve();
      source.onmessage = () => received++;
      sources.push(source);
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 1000)); // past the connections' set-up
  const startCpu = process.cpuUsage();
  const startEvents = received;
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, Number(values.seconds) * 1000));
  const cpu = process.cpuUsage(startCpu);
  const events = received - startEvents;
  const cpuUs = cpu.user + cpu.system;
  for (const source of sources) source.close();
  process.send({ events, cpuUs, share: cpuUs / 1000 / (performance.now() - started) }, () => process.exit(0));
} else {
  const self = new URL(import.meta.url).pathname;
  const server = fork(self, ['--role', 'server', '--every', values.every]);
  const { port } = await new Promise((resolve) => server.once('message', resolve));
  const results = { 'node:http': [], fetch: [] };
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const transport of Object.keys(results)) {
      const child = fork(self, ['--role', 'client', '--transport', transport, '--port', String(port), '--clients', values.clients, '--seconds', values.seconds]);
      const { events, cpuUs, share } = await new Promise((resolve) => child.once('message', resolve));
      await new Promise((resolve) => child.once('exit', resolve));
      results[transport].push(cpuUs / events);
      console.log(`round ${round + 1} ${transport.padEnd(9)} ${events} events, CPU ${(share * 100).toFixed(1)} % of a core, ${(cpuUs / events).toFixed(1)} µs per event`);
    }
  }
  server.kill();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const a = median(results['node:http']);
  const b = median(results.fetch);
  console.log(`median CPU per event: node:http ${a.toFixed(1)} µs, fetch ${b.toFixed(1)} µs (${(b / a).toFixed(2)}x)`);
}
