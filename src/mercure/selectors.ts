// Topic selectors and matchers: which topics a subscription (or a token) covers.
//
// draft-07 selectors are strings: `*` (every topic), an RFC 6570 URI template (a string with a
// `{...}` expression) or otherwise an exact topic. draft-08 matchers carry a type: `Exact` or
// `URLPattern` (the latter where the runtime has `URLPattern`), with `*` reserved for every topic.

/** Tells whether a topic is covered. */
export type TopicMatcher = (topic: string) => boolean;

/** The matcher types of draft-08, as spelled in `authorization_details` and query parameters. */
export type MatchType = 'Exact' | 'URLPattern';

const MATCH_ALL: TopicMatcher = () => true;

/** True when the string has no C0 or C1 control character nor DEL (the drafts' rule for topics). */
export function isCleanTopic(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return false;
  }
  return true;
}

// [RFC 6570 §2.2] Expressions: an operator, then comma-separated variables with an optional
// `:n` prefix or `*` explode modifier. Each operator's expansion is matched by a pattern of the
// characters that expansion can produce: simple expansion percent-encodes reserved characters,
// so its value never holds `/`, `?`, `#`, `&` or `,` raw.
const SIMPLE = "[^/?#&,{}\\s]*";
const OPERATOR_PATTERNS: Record<string, string> = {
  '': SIMPLE + '(?:,' + SIMPLE + ')*',
  '+': "[^\\s{}]*",
  '#': "(?:#[^\\s{}]*)?",
  '.': "(?:\\.[^/?#&,{}\\s]*)*",
  '/': "(?:/[^/?#&,{}\\s]*)*",
  ';': "(?:;[^/?#{}\\s]*)*",
  '?': "(?:\\?[^#{}\\s]*)?",
  '&': "(?:&[^#{}\\s]*)*",
};
const VARSPEC = /^[A-Za-z0-9_%]+(?:\.[A-Za-z0-9_%]+)*(?::[1-9][0-9]{0,3}|\*)?$/;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles an RFC 6570 URI template into an anchored regular expression matching its
 * expansions, or returns `undefined` when the string is not a well-formed template (it is then
 * an exact selector). Patterns are linear in shape (no nested quantifiers over the same
 * characters), and topics are length-bounded by the caller.
 */
export function templateToRegExp(template: string): RegExp | undefined {
  let source = '^';
  let i = 0;
  let expressions = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const close = template.indexOf('}', i);
    if (open === -1) {
      if (close !== -1) return undefined;
      source += escapeRegExp(template.slice(i));
      break;
    }
    if (close !== -1 && close < open) return undefined;
    source += escapeRegExp(template.slice(i, open));
    const end = template.indexOf('}', open);
    if (end === -1) return undefined;
    let body = template.slice(open + 1, end);
    if (body.includes('{')) return undefined;
    let op = '';
    if (body.length > 0 && '+#./;?&'.includes(body[0]!)) {
      op = body[0]!;
      body = body.slice(1);
    }
    const vars = body.split(',');
    if (vars.some((v) => !VARSPEC.test(v))) return undefined;
    source += OPERATOR_PATTERNS[op];
    expressions++;
    i = end + 1;
  }
  return expressions === 0 ? undefined : new RegExp(source + '$', 'u');
}

/**
 * Compiles a draft-07 topic selector: `*`, a URI template, or an exact topic.
 *
 * @example
 * ```ts
 * compileSelector('https://example.com/books/{id}')('https://example.com/books/1'); // true
 * ```
 */
export function compileSelector(selector: string): TopicMatcher {
  if (selector === '*') return MATCH_ALL;
  if (selector.includes('{')) {
    const re = templateToRegExp(selector);
    if (re !== undefined) return (topic) => re.test(topic);
  }
  return (topic) => topic === selector;
}

interface URLPatternLike {
  test(input: string, base?: string): boolean;
}
type URLPatternCtor = new (input: string, base?: string) => URLPatternLike;

/** True when this runtime can evaluate draft-08 `URLPattern` matchers (Node >= 23.8 has `URLPattern`). */
export function urlPatternSupported(): boolean {
  return typeof (globalThis as { URLPattern?: unknown }).URLPattern === 'function';
}

/**
 * Compiles a draft-08 matcher. Throws a `TypeError` when the value is not valid for its type
 * (an unparsable pattern, or `URLPattern` on a runtime without it): callers answer 400 or 401.
 * Relative patterns and topics resolve against `base` (the hub's URL).
 */
export function compileMatcher(type: MatchType, value: string, base: string): TopicMatcher {
  if (value === '*') return MATCH_ALL;
  if (type === 'Exact') return (topic) => topic === value;
  const Ctor = (globalThis as { URLPattern?: URLPatternCtor }).URLPattern;
  if (Ctor === undefined) throw new TypeError('URLPattern matchers need a runtime with URLPattern (Node >= 23.8)');
  const pattern = new Ctor(value, base);
  return (topic) => {
    try {
      return pattern.test(topic, base);
    } catch {
      return false;
    }
  };
}

/** Compiles draft-07 selectors once each, with a bounded cache shared by a hub's requests. */
export class SelectorCache {
  readonly #cache = new Map<string, TopicMatcher>();
  constructor(private readonly limit = 10_000) {}

  get(selector: string): TopicMatcher {
    let matcher = this.#cache.get(selector);
    if (matcher === undefined) {
      matcher = compileSelector(selector);
      if (this.#cache.size >= this.limit) this.#cache.delete(this.#cache.keys().next().value!);
      this.#cache.set(selector, matcher);
    }
    return matcher;
  }

  /** One matcher covering every selector of the list (false for an empty list). */
  any(selectors: readonly string[]): TopicMatcher {
    const matchers = selectors.map((s) => this.get(s));
    if (matchers.length === 1) return matchers[0]!;
    return (topic) => matchers.some((m) => m(topic));
  }
}
