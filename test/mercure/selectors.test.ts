// Topic selectors (exact, RFC 6570 URI templates, `*`) and the visibility rule of private updates.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compileMatcher, compileSelector, compileTemplate, SelectorCache } from '../../src/mercure/selectors.js';
import { visibility, type Selection } from '../../src/mercure/subscribe.js';
import type { Update } from '../../src/mercure/update.js';

test('exact selectors match byte for byte, nothing more', () => {
  const m = compileSelector('https://example.com/books/1');
  assert.equal(m('https://example.com/books/1'), true);
  assert.equal(m('https://example.com/books/10'), false);
  assert.equal(m('https://EXAMPLE.com/books/1'), false);
  assert.equal(m('https://example.com/books/1/'), false);
});

test('* matches every topic', () => {
  const m = compileSelector('*');
  for (const t of ['a', 'https://x/y', '/.well-known/mercure/subscriptions/a/b', '{x}']) assert.equal(m(t), true);
});

test('URI templates: simple expansion stays within one path segment', () => {
  const m = compileSelector('https://example.net/foo/{random}');
  assert.equal(m('https://example.net/foo/abc123'), true);
  assert.equal(m('https://example.net/foo/'), true); // an empty expansion is a valid one
  assert.equal(m('https://example.net/foo/a/b'), false);
  assert.equal(m('https://example.net/bar/abc'), false);
  assert.equal(m('https://example.net/foo/will-not-match}'), false);
  assert.equal(compileSelector('https://example.net/bar/{var}')('https://example.net/foo/will-not-match}'), false);
});

test('URI templates: operators', () => {
  assert.equal(compileSelector('https://e.com/{+path}')('https://e.com/a/b/c'), true);
  assert.equal(compileSelector('https://e.com/books{/id}')('https://e.com/books/7'), true);
  assert.equal(compileSelector('https://e.com/books{/id}')('https://e.com/books'), true);
  assert.equal(compileSelector('https://e.com/books{?page,size}')('https://e.com/books?page=1&size=2'), true);
  assert.equal(compileSelector('https://e.com/books{?page}')('https://e.com/books#x'), false);
  assert.equal(compileSelector('https://e.com/{a}/{b}')('https://e.com/1/2'), true);
  assert.equal(compileSelector('https://e.com/{a}/{b}')('https://e.com/1'), false);
  assert.equal(compileSelector('https://e.com/doc{#section}')('https://e.com/doc#intro'), true);
  assert.equal(compileSelector('https://e.com/{id}.json')('https://e.com/7.json'), true);
  assert.equal(compileSelector('https://e.com/{id}.json')('https://e.com/7.xml'), false);
});

test('regular-expression characters in the literal parts are literal', () => {
  const m = compileSelector('https://e.com/a.b+(c)/{x}');
  assert.equal(m('https://e.com/a.b+(c)/1'), true);
  assert.equal(m('https://e.com/aXb+(c)/1'), false);
});

test('malformed templates are exact selectors', () => {
  for (const s of ['https://e.com/{', 'https://e.com/}{x}', 'https://e.com/{a{b}}', 'https://e.com/{}', 'https://e.com/{a b}']) {
    assert.equal(compileTemplate(s), undefined, s);
    assert.equal(compileSelector(s)(s), true, s);
  }
});

test('a long hostile topic against a template is matched quickly (no catastrophic backtracking)', () => {
  const m = compileSelector('https://e.com/{a}{b}{c}{d}/x');
  const topic = 'https://e.com/' + 'a'.repeat(2000) + '!';
  const start = process.hrtime.bigint();
  assert.equal(m(topic), false);
  assert.ok(process.hrtime.bigint() - start < 2_000_000_000n, 'took more than 2 s');
});

const BASE = 'https://hub.example/.well-known/mercure';

test('URLPattern matchers (the runtime\'s or the polyfill): named groups, wildcards, relative patterns', () => {
  const m = compileMatcher('URLPattern', 'https://example.net/foo/:random', BASE);
  assert.equal(m('https://example.net/foo/abc'), true);
  assert.equal(m('https://example.net/foo/a/b'), false);
  assert.equal(m('https://example.net/bar/abc'), false);
  assert.equal(m('not a url'), false);
  const relative = compileMatcher('URLPattern', '/.well-known/mercure/subscriptions/Exact/:t/:s', BASE);
  assert.equal(relative('/.well-known/mercure/subscriptions/Exact/a/b'), true);
  assert.equal(relative('https://hub.example/.well-known/mercure/subscriptions/Exact/a/b'), true);
  assert.equal(compileMatcher('URLPattern', 'https://e.com/*', BASE)('https://e.com/x/y/z'), true);
  assert.throws(() => compileMatcher('URLPattern', 'https://e.com/:', BASE), TypeError);
});

test('URITemplate matchers: RFC 6570 templates, a string without expressions is exact, malformed ones throw', () => {
  assert.equal(compileMatcher('URITemplate', 'https://e.com/{id}', BASE)('https://e.com/1'), true);
  assert.equal(compileMatcher('URITemplate', 'https://e.com/{id}', BASE)('https://e.com/1/2'), false);
  assert.equal(compileMatcher('URITemplate', 'https://e.com/x', BASE)('https://e.com/x'), true);
  assert.throws(() => compileMatcher('URITemplate', 'https://e.com/{id', BASE), TypeError);
});

test('URL patterns whose matching cost is unbounded are refused; accepted shapes match a hostile topic quickly', () => {
  // Each of these took seconds to minutes against a 2 KB topic on a backtracking engine.
  for (const p of ['https://e.x/:a+-:b+-q', 'https://e.x/:a-*-:b-q', 'https://e.x/{:a-}+:b-q', 'https://e.x/(a+)+q', 'https://e.x/*x*y*q', 'https://e.x/:a*-:b-q']) {
    assert.throws(() => compileMatcher('URLPattern', p, BASE), TypeError, p);
  }
  const accepted = ['https://e.x/:a-:b/*-q', 'https://e.x/*/:a-:b/:c-:d/q', 'https://e.x/:a?-:b?-q', 'https://:a.:b.x/*q', 'https://e.x/\\(a\\)/:b-q'];
  for (const unit of ['x-y-z-w', 'x-y/z-w/', '-/', '(a)/']) {
    const topic = 'https://e.x/' + unit.repeat(Math.floor(2040 / unit.length));
    for (const p of accepted) {
      const m = compileMatcher('URLPattern', p, BASE);
      const start = performance.now();
      m(topic);
      assert.ok(performance.now() - start < 250, `${p} against ${unit}`);
    }
  }
});

test('the selector cache stays bounded', () => {
  const cache = new SelectorCache(10);
  for (let i = 0; i < 100; i++) assert.equal(cache.get(`t/${i}`)(`t/${i}`), true);
  assert.equal(cache.any(['a', 'b'])('b'), true);
  assert.equal(cache.any(['a', 'b'])('c'), false);
});

// The rule every delivery goes through: a private update reaches a subscriber only when its token
// allows one of the update's topics, whatever the subscriber asked for.
test('property: private updates never reach a subscriber whose token allows none of their topics', () => {
  const topicArb = fc.constantFrom('https://e.com/a/1', 'https://e.com/a/2', 'https://e.com/b/1', 'x', 'y');
  const selectorArb = fc.constantFrom('*', 'https://e.com/a/{id}', 'https://e.com/{kind}/1', 'x', 'y', 'https://e.com/a/1', 'z');
  fc.assert(
    fc.property(
      fc.array(topicArb, { minLength: 1, maxLength: 3 }),
      fc.boolean(),
      fc.array(selectorArb, { minLength: 1, maxLength: 3 }),
      fc.array(selectorArb, { maxLength: 3 }),
      (topics, isPrivate, requested, claimed) => {
        const update: Update = { id: 'u', topics, data: '', private: isPrivate };
        const selections: Selection[] = requested.map((s) => ({ kind: 'topic', selector: s, matches: compileSelector(s) }));
        const claim = claimed.length === 0 ? () => false : (t: string) => claimed.some((c) => compileSelector(c)(t));
        const seen = visibility(selections, claim)(update);
        const selected = topics.some((t) => requested.some((s) => compileSelector(s)(t)));
        const allowed = topics.some((t) => claimed.some((c) => compileSelector(c)(t)));
        assert.equal(seen, selected && (!isPrivate || allowed));
        if (isPrivate && !allowed) assert.equal(seen, false);
      },
    ),
    { numRuns: 2000 },
  );
});
