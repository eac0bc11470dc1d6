// The request target split once: the path for routing; URL and query are parsed only when asked for.

export function pathOf(rawUrl: string): string | undefined {
  // Origin-form targets without dot segments (nearly all) need no URL parser; others get one.
  if (rawUrl.startsWith('/') && !rawUrl.includes('/.') && !rawUrl.startsWith('//')) {
    const q = rawUrl.indexOf('?');
    const h = rawUrl.indexOf('#');
    const end = q === -1 ? (h === -1 ? rawUrl.length : h) : h === -1 ? q : Math.min(q, h);
    return rawUrl.slice(0, end);
  }
  try {
    return new URL(rawUrl, 'http://localhost').pathname;
  } catch {
    return undefined;
  }
}
