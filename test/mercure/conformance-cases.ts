// The dataset of Mercure's conformance tests (conformance-tests/mercure.spec.ts of the
// dunglas/mercure repository, the draft-07 era suite): topics, selectors, and whether the
// subscriber must receive the update. Used by protocol.test.ts (Node) and browser.test.ts (Chromium).
import { randomBytes } from 'node:crypto';

const rand = () => randomBytes(12).toString('hex');

/** The conformance dataset: topics, selectors, whether the subscriber must receive it. */
export function conformanceCases() {
  const r = Array.from({ length: 6 }, rand);
  return [
    { name: 'raw string', received: true, topics: [r[0]!], selectors: [r[0]!] },
    { name: 'multiple topics', received: true, topics: [rand(), r[1]!], selectors: [r[1]!] },
    { name: 'multiple topic selectors', received: true, topics: [r[2]!], selectors: ['foo', r[2]!] },
    { name: 'URI', received: true, topics: [`https://example.net/foo/${r[3]}`], selectors: [`https://example.net/foo/${r[3]}`] },
    { name: 'URI template', received: true, topics: [`https://example.net/foo/${r[4]}`], selectors: ['https://example.net/foo/{random}'] },
    { name: 'nonmatching raw string', received: false, topics: ['will-not-match}'], selectors: ['another-name'] },
    { name: 'nonmatching URI', received: false, topics: ['https://example.net/foo/will-not-match}'], selectors: ['https://example.net/foo/another-name'] },
    { name: 'nonmatching URI template', received: false, topics: ['https://example.net/foo/will-not-match}'], selectors: ['https://example.net/bar/{var}'] },
    { name: 'private raw string', received: false, private: true, topics: [r[0]!], selectors: [r[0]!] },
    { name: 'private URI', received: false, private: true, topics: [`https://example.net/foo/${r[3]}`], selectors: [`https://example.net/foo/${r[3]}`] },
    { name: 'private URI template', received: false, private: true, topics: [`https://example.net/foo/${r[4]}`], selectors: ['https://example.net/foo/{random}'] },
  ];
}

