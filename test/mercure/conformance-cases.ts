// The datasets of Mercure's conformance tests (conformance-tests/mercure.spec.ts of the
// dunglas/mercure repository): topics, selectors, and whether the subscriber must receive the
// update. '07' is the draft-07 era suite (`topic=` selectors), '08' the newest one (`match*`
// parameters, URL patterns). Used by protocol.test.ts (Node) and browser.test.ts (Chromium).
import { randomBytes } from 'node:crypto';

const rand = () => randomBytes(12).toString('hex');

/** One case: topics, selectors, whether the subscriber must receive it. */
export interface ConformanceCase {
  readonly name: string;
  readonly received: boolean;
  readonly private?: true;
  readonly topics: string[];
  readonly selectors: string[];
}

/** The conformance dataset of a suite version. */
export function conformanceCases(version: '07' | '08' = '07'): ConformanceCase[] {
  const r = Array.from({ length: 6 }, rand);
  // The 07 suite's non-matching topics end with a stray `}`, the 08 suite's do not.
  const miss = version === '07' ? 'will-not-match}' : 'will-not-match';
  const foo = (s: string) => `https://example.net/foo/${s}`;
  const byKind = (kind: 'URL pattern' | 'URI template', random: string, selector: string, other: string): ConformanceCase[] => [
    { name: kind, received: true, topics: [foo(random)], selectors: [selector] },
    { name: `nonmatching ${kind}`, received: false, topics: [foo(miss)], selectors: [other] },
    { name: `private ${kind}`, received: false, private: true, topics: [foo(random)], selectors: [selector] },
  ];
  return [
    { name: 'raw string', received: true, topics: [r[0]!], selectors: [r[0]!] },
    { name: 'multiple topics', received: true, topics: [rand(), r[1]!], selectors: [r[1]!] },
    { name: 'multiple topic selectors', received: true, topics: [r[2]!], selectors: ['foo', r[2]!] },
    { name: 'URI', received: true, topics: [foo(r[3]!)], selectors: [foo(r[3]!)] },
    { name: 'nonmatching raw string', received: false, topics: [miss], selectors: ['another-name'] },
    { name: 'nonmatching URI', received: false, topics: [foo(miss)], selectors: [foo('another-name')] },
    { name: 'private raw string', received: false, private: true, topics: [r[0]!], selectors: [r[0]!] },
    { name: 'private URI', received: false, private: true, topics: [foo(r[3]!)], selectors: [foo(r[3]!)] },
    ...byKind('URI template', r[4]!, foo('{random}'), 'https://example.net/bar/{var}'),
    ...(version === '08' ? byKind('URL pattern', r[5]!, foo(':random'), 'https://example.net/bar/:var') : []),
  ];
}

/** The subscribe parameter the 08 suite sends a selector in. */
export function matchParam(selector: string): string {
  if (/\/:[A-Za-z_]/.test(selector)) return 'matchURLPattern';
  if (/\{[A-Za-z_]/.test(selector)) return 'matchURITemplate';
  return 'match';
}
