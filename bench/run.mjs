#!/usr/bin/env node
// `npm run bench`: every server in its own process, one load generator in another, all workloads,
// medians of several runs, a table on stdout and BENCHMARKS.md at the repository root. A partial
// run (--only or --workload) writes its report to $TMPDIR/eventide-bench-partial.md instead, and its
// raw results to $TMPDIR/eventide-bench-partial-last.json, so that it never replaces the full run's.
//
//   node bench/run.mjs [--quick] [--runs N] [--only a,b] [--workload burst,steady,seed,idle,slow,redis]
//                      [--out FILE] [--no-ladder] [--prof server,...] [--server-node-args "--flag ..."]
//                      [--render RAW.json]   (re-renders the report of an earlier run: $TMPDIR/eventide-bench-*-last.json)
//                      [--runtimes]   (adds eventide's fetch handler and Hono on Bun and Deno; alone, it runs
//                                      those four beside eventide-hub and hono on Node, burst and idle)
// --prof writes a V8 CPU profile of those servers over each measured phase (burst, steady, seed, slow;
// not start-up and connection setup) to $TMPDIR/eventide-bench-profiles/, to open in Chrome DevTools
// or summarise with `node bench/prof-top.mjs FILE`.
import os from 'node:os';
import { readFileSync, writeFileSync, mkdirSync, cpSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import { startChild } from './lib/child.mjs';
import { median } from './lib/stats.mjs';
import { WORKLOADS, SIZES } from './workloads.mjs';
import { PEERS, BASELINES, EVENTIDE, RUNTIMES, eventideAvailable, runtimeCommand } from './servers.mjs';
import { renderReport } from './report.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
if (process.argv.includes('--scale')) {
  // The scale benchmark (many connections over several processes on Redis) has its own runner.
  await import('./scale.mjs');
  process.exit(0);
}
const args = parseArgs(process.argv.slice(2));
const mode = args.quick ? 'quick' : 'full';
const sizes = SIZES[mode];
const runs = Number(args.runs ?? (args.quick ? 1 : 3));
// --runtimes alone: the runtime servers' own workloads, beside the same two servers on Node.
const runtimesOnly = args.runtimes && !args.only && !args.workload;
const workloadNames = args.workload ? args.workload.split(',') : runtimesOnly ? ['burst', 'idle'] : Object.keys(WORKLOADS);
for (const w of workloadNames) if (!WORKLOADS[w]) fail(`unknown workload ${w} (one of ${Object.keys(WORKLOADS).join(', ')})`);
const partial = !args.quick && !runtimesOnly && Boolean(args.only || args.workload);
const out =
  args.out ??
  (args.quick
    ? `${os.tmpdir()}/eventide-bench-quick.md`
    : runtimesOnly
      ? `${os.tmpdir()}/eventide-bench-runtimes.md`
      : partial
        ? `${os.tmpdir()}/eventide-bench-partial.md`
        : `${root}BENCHMARKS.md`);

function parseArgs(argv) {
  const a = {};
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    if (k === '--quick') a.quick = true;
    else if (k === '--runtimes') a.runtimes = true;
    else if (k === '--no-ladder') a.noLadder = true;
    else if (['--runs', '--only', '--workload', '--out', '--prof', '--server-node-args', '--render'].includes(k)) a[k.slice(2)] = argv[++i];
    else fail(`unknown argument ${k}`);
  }
  return a;
}
function fail(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}
const log = (msg) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

// The eventide servers import a copy of dist/ taken at start, so that a rebuild during a long run
// (other work goes on in the same tree) cannot mix two versions in one report.
// Deno takes every module under node_modules for part of an npm package, so the servers it runs get
// their copy (and their compiled file) outside it, in .tmp/ (bare imports resolve from the root).
const cacheDir = `${root}node_modules/.cache/eventide-bench`;
const runtimeCacheDir = `${root}.tmp/eventide-bench`;
const distSnapshots = new Map(); // cache dir -> its copy of dist/
function snapshotDist(dir) {
  if (distSnapshots.has(dir)) return distSnapshots.get(dir);
  const copy = `${dir}/dist-${process.pid}`;
  rmSync(copy, { recursive: true, force: true });
  cpSync(`${root}dist`, copy, { recursive: true });
  distSnapshots.set(dir, copy);
  return copy;
}
function gitDescribe() {
  try {
    const head = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--', 'src'], { encoding: 'utf8' }).trim();
    return `${head}${dirty ? ' (with uncommitted changes in src/)' : ''}`;
  } catch {
    return '?';
  }
}

async function compileEventide(spec) {
  const dir = spec.runtime ? runtimeCacheDir : cacheDir;
  const ts = createRequire(import.meta.url)('typescript');
  const src = readFileSync(spec.source, 'utf8');
  const js = ts.transpileModule(src, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, useDefineForClassFields: true },
  }).outputText
    .replace(/'\.\.\/\.\.\/dist\/([^']+)'/g, (_, f) => `'${pathToFileURL(`${snapshotDist(dir)}/${f}`).href}'`)
    .replace(/'\.\/([\w-]+\.mjs)'/g, (_, f) => `'${pathToFileURL(fileURLToPath(new URL(`./servers/${f}`, import.meta.url))).href}'`);
  // Inside the repository so that bare imports (rxjs) resolve from its node_modules.
  mkdirSync(dir, { recursive: true });
  const file = `${dir}/${spec.name}-${process.pid}.mjs`;
  writeFileSync(file, js);
  return { ...spec, script: file };
}

function versionOf(pkg) {
  try {
    const p = pkg === 'eventide' ? `${root}package.json` : `${root}node_modules/${pkg}/package.json`;
    return JSON.parse(readFileSync(p, 'utf8')).version;
  } catch {
    return '?';
  }
}

async function rerender(file) {
  const { meta, servers, results } = JSON.parse(readFileSync(file, 'utf8'), (k, v) => (v === null ? NaN : v));
  meta.started = new Date(meta.started);
  meta.finished = new Date(meta.finished);
  const md = renderReport({ meta, servers, results, median });
  console.log(md.table);
  writeFileSync(out, md.full);
  log(`wrote ${out}`);
}

async function main() {
  if (args.render) return rerender(args.render);
  const skipped = [];
  let servers = [...BASELINES, ...PEERS];
  for (const spec of EVENTIDE) {
    const avail = await eventideAvailable(spec.needs);
    if (avail.ok) servers.push(await compileEventide(spec));
    else skipped.push(`${spec.label}: ${avail.why}`);
  }
  const want = args.only?.split(',') ?? [];
  for (const w of want) if (![...BASELINES, ...PEERS, ...EVENTIDE, ...RUNTIMES].some((s) => s.name === w)) fail(`unknown server ${w}`);
  // Bun and Deno servers are opt-in: with --runtimes, or when named in --only.
  for (const spec of RUNTIMES) {
    if (!args.runtimes && !want.includes(spec.name)) continue;
    const cmd = runtimeCommand(spec.runtime);
    if (!cmd.ok) { skipped.push(`${spec.label}: ${cmd.why}`); continue; }
    let s = { ...spec, execPath: cmd.execPath, execArgs: cmd.execArgs, env: cmd.env };
    if (spec.source) {
      const avail = await eventideAvailable(spec.needs);
      if (!avail.ok) { skipped.push(`${spec.label}: ${avail.why}`); continue; }
      s = await compileEventide(s);
    }
    servers.push(s);
  }
  if (args.only) {
    servers = servers.filter((s) => want.includes(s.name) || (args.runtimes && s.runtime));
  } else if (runtimesOnly) {
    servers = servers.filter((s) => s.runtime || s.name === 'eventide-hub' || s.name === 'hono');
  } else {
    servers = servers.filter((s) => !s.experimental); // experiments run only when named in --only
  }
  for (const s of skipped) log(`skipped ${s}`);
  if (args['server-node-args']) {
    // e.g. --server-node-args "--no-turbo-inlining" to see true self times in a profile
    const extra = args['server-node-args'].split(' ').filter(Boolean);
    servers = servers.map((s) => ({ ...s, nodeArgs: [...(s.nodeArgs ?? []), ...extra] }));
  }
  if (args.prof) {
    const dir = `${os.tmpdir()}/eventide-bench-profiles`;
    mkdirSync(dir, { recursive: true });
    const want = args.prof.split(',');
    servers = servers.map((s) => (want.includes(s.name) ? { ...s, profiling: true, profileDir: dir } : s));
    log(`CPU profiles of ${want.join(', ')} go to ${dir}`);
  }

  const gen = startChild(fileURLToPath(new URL('./loadgen.mjs', import.meta.url)), { label: 'loadgen' });
  await gen.waitReady();
  const fdLimit = await new Promise((r) => {
    import('node:child_process').then(({ execFile }) =>
      execFile('sh', ['-c', 'ulimit -n 65536 2>/dev/null; ulimit -n'], (e, so) => r(e ? '?' : so.trim())));
  });
  const load0 = os.loadavg();
  const commit = gitDescribe(); // at start: the dist/ copy the servers use was taken from this tree
  const started = new Date();
  const results = {}; // server -> [run results]
  const notes = [];
  try {
    for (let run = 1; run <= runs; run++) {
      for (const w of workloadNames) {
        for (const spec of servers) {
          // A workload for some servers only (Redis), and servers made for some workloads only.
          if (WORKLOADS[w].only ? !WORKLOADS[w].only.includes(spec.name) : spec.workloads && !spec.workloads.includes(w)) continue;
          const t = Date.now();
          let r;
          try {
            r = await WORKLOADS[w].run(spec, gen, sizes[w], { ladder: !args.noLadder });
          } catch (err) {
            r = { error: err.message };
            try { await gen.request('closeAll', {}, 30000); } catch { /* the next workload will tell */ }
          }
          ((results[spec.name] ??= [])[run - 1] ??= {});
          Object.assign(results[spec.name][run - 1], r);
          for (const [k, v] of Object.entries(r)) {
            if (k === 'error') notes.push(`${spec.name}, ${w}, run ${run}: error: ${v}`);
            else if (v?.note && !(k === 'ladder' && v.note.startsWith('all rates'))) notes.push(`${spec.name}, ${k}, run ${run}: ${v.note}`);
          }
          log(`run ${run}/${runs} ${w} ${spec.name} (${((Date.now() - t) / 1000).toFixed(1)} s): ${summary(r)}`);
        }
      }
    }
  } finally {
    await gen.kill();
    for (const copy of distSnapshots.values()) rmSync(copy, { recursive: true, force: true });
    for (const s of servers) if (s.source) rmSync(s.script, { force: true });
  }

  const meta = {
    mode, runs, started, finished: new Date(), command: `node bench/run.mjs ${process.argv.slice(2).join(' ')}`.trim(),
    node: process.version,
    commit,
    machine: { cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length, memGB: os.totalmem() / 2 ** 30, kernel: `${os.type()} ${os.release()}` },
    load: { before: load0, after: os.loadavg() },
    fdLimit,
    versions: Object.fromEntries(servers.map((s) => [s.name, s.pkgs.map((p) => `${p} ${versionOf(p)}`).join(', ') || `node:http ${process.version}`])),
    skipped, sizes, notes, workloads: workloadNames,
  };
  // The raw results, to re-render the report without running again: --render FILE.
  const raw = `${os.tmpdir()}/eventide-bench-${partial ? 'partial' : mode}-last.json`;
  writeFileSync(raw, JSON.stringify({ meta, servers, results }, (k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v)));
  log(`raw results in ${raw}`);
  const md = renderReport({ meta, servers, results, median });
  console.log(md.table);
  writeFileSync(out, md.full);
  log(`wrote ${out}`);
}

function summary(r) {
  return Object.entries(r)
    .map(([k, v]) => (typeof v === 'object' && v ? `${k} ${Object.entries(v).filter(([, x]) => typeof x === 'number').map(([a, x]) => `${a}=${fmt(x)}`).join(' ')}${v.note ? ` (${v.note})` : ''}` : `${k}: ${v}`))
    .join('; ');
}
const fmt = (x) => (Math.abs(x) >= 100 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2));

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
