// How the Mercure layer refuses a request: a status, a message the client may read, and the
// headers the drafts ask for (WWW-Authenticate on 401/403).
export class Refusal extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 413 | 503,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
    this.name = 'Refusal';
  }
}

/**
 * 401 without a token: `WWW-Authenticate: Bearer` with no error code, pointing to the protected
 * resource metadata when its URL is given ([draft-08] Error Responses).
 */
export function missingToken(what: string, metadataUrl?: string): Refusal {
  return new Refusal(401, `${what} needs a token: send "Authorization: Bearer <JWT>", the cookie or the query parameter`, {
    'WWW-Authenticate': metadataUrl === undefined ? 'Bearer' : `Bearer resource_metadata="${metadataUrl}"`,
  });
}

/** 401 for a token that failed validation; the reason is not disclosed to the client. */
export function invalidToken(): Refusal {
  return new Refusal(401, 'the token is invalid, expired, or not signed with an accepted key and algorithm', {
    'WWW-Authenticate': 'Bearer error="invalid_token"',
  });
}

/** 403 for a valid token that does not allow the operation. */
export function insufficientScope(message: string): Refusal {
  return new Refusal(403, message, { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' });
}

/** 400 for a malformed request. */
export function badRequest(message: string): Refusal {
  return new Refusal(400, message);
}
