// The text of `eventide --help` and `eventide hub --help`.

/** What `eventide` alone or `eventide --help` prints. */
export const MAIN_HELP = `Usage: eventide <command> [options]

Commands:
  hub      run a Mercure hub (draft-dunglas-mercure-07 and -08) on an eventide Hub

Run "eventide hub --help" for the hub's options.
`;

/** Every option of \`eventide hub\`: flag, environment variable, default, meaning. */
export const HUB_HELP = `Usage: eventide hub [options]

Runs a Mercure hub at /.well-known/mercure. Every option can also be set by the environment
variable shown; a flag wins over its variable. Keys may be given inline or as @path to a file.

Listening
  --host <addr>                EVENTIDE_HUB_HOST           address to bind (default 127.0.0.1;
                                                           0.0.0.0 to accept other machines)
  --port <n>                   EVENTIDE_HUB_PORT, PORT     port (default 3000; 0 picks a free one)
  --tls-cert <file>            EVENTIDE_HUB_TLS_CERT       PEM certificate: serve HTTPS
  --tls-key <file>             EVENTIDE_HUB_TLS_KEY        PEM private key for --tls-cert
  --public-url <url>           EVENTIDE_HUB_PUBLIC_URL     the hub's public URL, for Link headers and
                                                           relative URL patterns (default: from Host)

Tokens (JWS; draft-07 "mercure" claim and draft-08 at+jwt "authorization_details")
  --jwt-key <key|@file>        EVENTIDE_HUB_JWT_KEY        key of publishers and subscribers: an HMAC
                                                           secret, or a PEM public key/certificate
  --jwt-alg <alg>              EVENTIDE_HUB_JWT_ALG        its algorithm (default HS256; RS256, ES256,
                                                           EdDSA, PS256, HS384, ... )
  --publisher-jwt-key <k|@f>   EVENTIDE_HUB_PUBLISHER_JWT_KEY   publishers' key (overrides --jwt-key)
  --publisher-jwt-alg <alg>    EVENTIDE_HUB_PUBLISHER_JWT_ALG   its algorithm (default: --jwt-alg)
  --subscriber-jwt-key <k|@f>  EVENTIDE_HUB_SUBSCRIBER_JWT_KEY  subscribers' key (overrides --jwt-key)
  --subscriber-jwt-alg <alg>   EVENTIDE_HUB_SUBSCRIBER_JWT_ALG  its algorithm (default: --jwt-alg)
  --jwks-url <url>             EVENTIDE_HUB_JWKS_URL       a JWK Set for both roles (keys by kid)
  --anonymous                  EVENTIDE_HUB_ANONYMOUS=1    let subscribers in without a token (public
                                                           updates only)
  --audience <id,...>          EVENTIDE_HUB_AUDIENCE       draft-08: the hub's resource identifier,
                                                           required in the aud of at+jwt tokens
  --issuer <iss,...>           EVENTIDE_HUB_ISSUER         draft-08: accepted iss of at+jwt tokens
  --access-tokens-only         EVENTIDE_HUB_ACCESS_TOKENS_ONLY=1  draft-08 only: refuse tokens that
                                                           are not at+jwt

Browsers
  --cors-origins <o,...>       EVENTIDE_HUB_CORS_ORIGINS   origins allowed by CORS (with cookies);
                                                           * for any origin, without credentials
  --publish-origins <o,...>    EVENTIDE_HUB_PUBLISH_ORIGINS  origins that may publish with the
                                                           cookie (default: the CORS origins)
  --cookie-name <name>         EVENTIDE_HUB_COOKIE_NAME    the token cookie (default
                                                           mercureAuthorization, then mercureAccessToken)

Hub
  --subscriptions              EVENTIDE_HUB_SUBSCRIPTIONS=1  subscription events and the
                                                           subscriptions API (with --redis-url, it
                                                           lists the subscriptions of every process)
  --subscriptions-ttl <s>      EVENTIDE_HUB_SUBSCRIPTIONS_TTL  seconds a dead process's subscriptions
                                                           stay listed (Redis; default 30, min 1)
  --redis-url <url>            EVENTIDE_HUB_REDIS_URL      Redis backend: processes on one Redis form a
                                                           cluster (default: in memory, one process)
  --redis-prefix <prefix>      EVENTIDE_HUB_REDIS_PREFIX   Redis key prefix (default eventide:)
  --channel <name>             EVENTIDE_HUB_CHANNEL        the hub channel of all updates (default mercure)
  --history-size <n>           EVENTIDE_HUB_HISTORY_SIZE   updates kept for resuming (default 10000)
  --history-max-age <s>        EVENTIDE_HUB_HISTORY_MAX_AGE  seconds an update is kept (default 3600)
  --heartbeat <ms>             EVENTIDE_HUB_HEARTBEAT      keep-alive comment interval (default 15000)
  --body-limit <bytes>         EVENTIDE_HUB_BODY_LIMIT     largest publish body; past it 413 (default 1048576)
  --max-topics <n>             EVENTIDE_HUB_MAX_TOPICS     most selectors/topics per request (default 100)
  --max-streams <n>            EVENTIDE_HUB_MAX_STREAMS    most open subscriptions; past it 503 (default 0:
                                                           no limit)
  --max-streams-per-address <n>  EVENTIDE_HUB_MAX_STREAMS_PER_ADDRESS  the same per client address
                                                           (default 0: no limit)

  -h, --help                   this text
  -v, --version                eventide's version

Example:
  EVENTIDE_HUB_JWT_KEY='!ChangeThisMercureHubJWTSecretKey!' npx eventide hub --anonymous --port 3000
`;
