// Topic selectors and matchers: which topics a subscription (or a token) covers.
//
// draft-07 selectors are strings: `*` (every topic), an RFC 6570 URI template (a string with a
// `{...}` expression) or otherwise an exact topic. draft-08 matchers carry a type: `Exact`,
// `URLPattern` (WHATWG URL Pattern: the runtime's, else urlpattern-polyfill) or `URITemplate`
// (RFC 6570, an optional type of later revisions), with `*` reserved for every topic.
import { URLPattern as URLPatternPolyfill } from 'urlpattern-polyfill/urlpattern';

/** Tells whether a topic is covered. */
export type TopicMatcher = (topic: string) => boolean;

/** The matcher types of draft-08 (and `URITemplate`), as spelled in `authorization_details` and query parameters. */
export type MatchType = 'Exact' | 'URLPattern' | 'URITemplate';

/** The canonical names of {@link MatchType}, as subscription paths spell them. */
export const MATCH_TYPES: readonly MatchType[] = ['Exact', 'URLPattern', 'URITemplate'];

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
// `:n` prefix or `*` explode modifier. Every expansion of an operator is matched by "nothing, or
// its prefix character then any run of the characters that expansion can produce": simple
// expansion percent-encodes reserved characters, so its value never holds `/`, `?`, `#` or `&`
// raw. Matching runs over the topic once per template part (a set of reachable positions, no
// backtracking), so a hostile topic costs linear time whatever the template.
type CharTest = (code: number) => boolean;
const isSpace = (c: number) => c <= 0x20 || c === 0x7f;
const notIn = (chars: string): CharTest => {
  const codes = new Set([...chars].map((ch) => ch.charCodeAt(0)));
  return (c) => !isSpace(c) && !codes.has(c);
};
const SIMPLE_CHARS = notIn('/?#&{}');
const RESERVED_CHARS = notIn('{}');
const PATH_CHARS = notIn('?#&{}');
const PARAM_CHARS = notIn('/?#{}');
const QUERY_CHARS = notIn('#{}');
const OPERATORS: Record<string, { prefix: number | undefined; chars: CharTest }> = {
  '': { prefix: undefined, chars: SIMPLE_CHARS },
  '+': { prefix: undefined, chars: RESERVED_CHARS },
  '#': { prefix: 0x23, chars: RESERVED_CHARS },
  '.': { prefix: 0x2e, chars: SIMPLE_CHARS },
  '/': { prefix: 0x2f, chars: PATH_CHARS },
  ';': { prefix: 0x3b, chars: PARAM_CHARS },
  '?': { prefix: 0x3f, chars: QUERY_CHARS },
  '&': { prefix: 0x26, chars: QUERY_CHARS },
};
const VARSPEC = /^[A-Za-z0-9_%]+(?:\.[A-Za-z0-9_%]+)*(?::[1-9][0-9]{0,3}|\*)?$/;

type Part = { literal: string } | { prefix: number | undefined; chars: CharTest };

function parseTemplate(template: string): Part[] | undefined {
  const parts: Part[] = [];
  let i = 0;
  let expressions = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const close = template.indexOf('}', i);
    if (open === -1) {
      if (close !== -1) return undefined;
      parts.push({ literal: template.slice(i) });
      break;
    }
    if (close === -1 || close < open) return undefined;
    if (open > i) parts.push({ literal: template.slice(i, open) });
    let body = template.slice(open + 1, close);
    if (body.includes('{')) return undefined;
    let op = '';
    if (body.length > 0 && '+#./;?&'.includes(body[0]!)) {
      op = body[0]!;
      body = body.slice(1);
    }
    if (body.split(',').some((v) => !VARSPEC.test(v))) return undefined;
    parts.push(OPERATORS[op]!);
    expressions++;
    i = close + 1;
  }
  return expressions === 0 ? undefined : parts;
}

/**
 * Compiles an RFC 6570 URI template into a matcher of its expansions, or returns `undefined`
 * when the string is not a well-formed template (it is then an exact selector).
 */
export function compileTemplate(template: string): TopicMatcher | undefined {
  const parts = parseTemplate(template);
  if (parts === undefined) return undefined;
  return (topic) => {
    const n = topic.length;
    let reach = new Uint8Array(n + 1);
    reach[0] = 1;
    for (const part of parts) {
      const next = new Uint8Array(n + 1);
      let any = false;
      if ('literal' in part) {
        const { literal } = part;
        for (let p = 0; p + literal.length <= n; p++) {
          if (reach[p] && topic.startsWith(literal, p)) {
            next[p + literal.length] = 1;
            any = true;
          }
        }
      } else {
        // Empty expansion, or the prefix (if any) then a run of allowed characters.
        let run = false;
        for (let p = 0; p <= n; p++) {
          const start = part.prefix === undefined ? reach[p] === 1 : p > 0 && reach[p - 1] === 1 && topic.charCodeAt(p - 1) === part.prefix;
          run = start || (run && p > 0 && part.chars(topic.charCodeAt(p - 1)));
          if (run || reach[p]) {
            next[p] = 1;
            any = true;
          }
        }
      }
      if (!any) return false;
      reach = next;
    }
    return reach[n] === 1;
  };
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
    const template = compileTemplate(selector);
    if (template !== undefined) return template;
  }
  return (topic) => topic === selector;
}

interface URLPatternLike {
  test(input: string, base?: string): boolean;
}
type URLPatternCtor = new (input: string, base?: string) => URLPatternLike;

// The runtime's URLPattern when it has one (Node >= 23.8, Deno, Bun, browsers), else the polyfill.
const URLPatternImpl: URLPatternCtor =
  (globalThis as { URLPattern?: URLPatternCtor }).URLPattern ?? (URLPatternPolyfill as unknown as URLPatternCtor);

// URL patterns compile to backtracking regular expressions, and JavaScript cannot stop one that
// runs away, so a pattern is refused unless its cost is bounded by its shape: no custom
// regular-expression group (`(...)`), no repeated group (`:name+`, `{...}*`), at most one `*`
// wildcard, at most two groups (`:name` or `*`) between two slashes, at most 16 groups in all. Matching such a pattern against a topic of
// `maxTopicLength` characters then costs at most a few million steps (test/mercure/selectors.test.ts).
const MAX_PATTERN_GROUPS = 16;

/** Why a URL pattern's cost is not bounded, or `undefined` when it is. */
function unboundedPattern(value: string): string | undefined {
  if (/(?<!\\)\(/.test(value)) return 'URL patterns with regular-expression groups are not accepted; use :name and * only';
  if (/(?<!\\)(?::[A-Za-z_$][\w$]*|\}|\*)[+*]/.test(value)) return 'URL patterns with repeated groups (+ or * after a group) are not accepted';
  const groups = (piece: string) => piece.match(/(?<!\\)(?::[A-Za-z_$]|\*)/g)?.length ?? 0;
  if ((value.match(/(?<!\\)\*/g)?.length ?? 0) > 1) return 'a URL pattern may have at most one * wildcard';
  if (value.split('/').some((piece) => groups(piece) > 2)) return 'a URL pattern may have at most two groups (:name or *) between two slashes';
  if (groups(value) > MAX_PATTERN_GROUPS) return `a URL pattern may have at most ${MAX_PATTERN_GROUPS} groups`;
  return undefined;
}

/**
 * Compiles a draft-08 matcher. Throws a `TypeError` when the value is not valid for its type
 * (an unparsable pattern or template, or a URL pattern with a custom regular expression): callers
 * answer 400 or 401. Relative patterns and topics resolve against `base` (the hub's URL).
 */
export function compileMatcher(type: MatchType, value: string, base: string): TopicMatcher {
  if (value === '*') return MATCH_ALL;
  if (type === 'Exact') return (topic) => topic === value;
  if (type === 'URITemplate') {
    if (!value.includes('{') && !value.includes('}')) return (topic) => topic === value;
    const template = compileTemplate(value);
    if (template === undefined) throw new TypeError(`${JSON.stringify(value)} is not an RFC 6570 URI template`);
    return template;
  }
  const unbounded = unboundedPattern(value);
  if (unbounded !== undefined) throw new TypeError(unbounded);
  let pattern: URLPatternLike;
  try {
    pattern = new URLPatternImpl(value, base);
  } catch {
    throw new TypeError(`${JSON.stringify(value)} is not a valid URL pattern`);
  }
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
