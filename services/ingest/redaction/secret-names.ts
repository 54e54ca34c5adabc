/**
 * Which header, parameter and field names hold a credential. A name decides for its value:
 * whatever the value looks like, it is replaced. When a name is ambiguous (`sort_key`), it is
 * treated as secret: a harmless value lost costs less than one real key stored.
 */

/** A header whose lower-cased name contains any of these words is a secret header. */
export const SECRET_HEADER_WORDS = [
  'authorization', 'cookie', 'token', 'secret', 'key', 'password', 'passwd', 'session', 'auth', 'signature', 'credential', 'csrf', 'xsrf',
];

/** Headers that contain a secret word but carry an identity or a challenge, not a credential. */
export const NON_SECRET_HEADERS = new Set([
  'www-authenticate', 'x-authenticated-userid', 'x-authenticated-scope', 'x-authenticated-groups', 'x-consumer-username',
  'x-consumer-id', 'x-consumer-custom-id', 'x-credential-identifier', 'x-credential-username', 'keep-alive',
]);

/** Headers whose whole value is an Authorization credential: the scheme is kept, the rest replaced. */
export const AUTHORIZATION_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-amzn-remapped-authorization', 'x-forwarded-authorization']);

export const COOKIE_HEADERS = new Set(['cookie', 'set-cookie']);

/** Headers whose value is a URL: redacted as one (query, fragment, userinfo, path tokens). */
export const URL_HEADERS = new Set(['referer', 'referrer', 'origin', 'location', 'content-location', 'x-original-url', 'x-forwarded-uri', 'x-original-uri', 'x-rewrite-url', 'x-envoy-original-path']);

/** Headers whose value is one or more client addresses (PII policy for IPs applies). */
export const IP_HEADERS = new Set(['x-forwarded-for', 'x-real-ip', 'forwarded', 'true-client-ip', 'cf-connecting-ip', 'x-client-ip', 'x-cluster-client-ip', 'fastly-client-ip', 'x-envoy-external-address']);

export const SECRET_PARAM_NAMES = [
  'password', 'passwd', 'pwd', 'pass', 'passphrase', 'secret', 'token', 'access_token', 'refresh_token', 'id_token', 'api_key', 'apikey',
  'api-key', 'key', 'signature', 'sig', 'client_secret', 'code', 'auth', 'session', 'sessionid', 'session_id', 'sid', 'jwt',
  'x-amz-signature', 'x-amz-credential', 'x-amz-security-token', 'x-goog-signature', 'x-goog-credential', 'private_key', 'otp', 'pin', 'ssn',
  'credit_card', 'card_number', 'cardnumber', 'cvv', 'cvc', 'accesstoken', 'refreshtoken', 'idtoken', 'authtoken', 'apitoken',
  'sessiontoken', 'secretkey', 'privatekey', 'clientsecret', 'assertion', 'client_assertion', 'samlresponse', 'ticket',
];

/** Long words that mark a secret name even glued to another word (`accesstoken`, `db_password`). */
const LONG_SUFFIX = /(?:password|passwd|passphrase|secret|token|apikey|signature|credentials?|sessionid|privatekey)$/;
/** Short words that mark a secret name only after a separator (`x-api-key`, `user_pwd`), so `monkey` and `design` stay. */
const SHORT_SUFFIX = /[-_.\s](?:key|sig|pwd|pass|auth|session|sid|otp|pin|secret|token)$/;
/** The same short words at a camelCase boundary (`apiKey`, `sessionSig`). */
const CAMEL_SUFFIX = /[a-z0-9](?:Key|Sig|Pwd|Pass|Auth|Session|Sid|Otp|Pin)$/;

export function createNamePredicates(extraHeaderWords: string[], extraParamNames: string[]) {
  const headerWords = [...SECRET_HEADER_WORDS, ...extraHeaderWords.map((w) => w.toLowerCase())];
  const paramNames = new Set([...SECRET_PARAM_NAMES, ...extraParamNames.map((n) => n.toLowerCase())]);
  // Names repeat all day (the same 20 headers, the same parameters): decide once per name.
  const headerCache = new Map<string, boolean>();
  const paramCache = new Map<string, boolean>();

  function isSecretHeader(name: string): boolean {
    let hit = headerCache.get(name);
    if (hit === undefined) {
      const n = name.toLowerCase();
      hit = !NON_SECRET_HEADERS.has(n) && headerWords.some((w) => n.includes(w));
      if (headerCache.size < 10_000) headerCache.set(name, hit);
    }
    return hit;
  }

  function isSecretParam(rawName: string): boolean {
    let hit = paramCache.get(rawName);
    if (hit === undefined) {
      let name = rawName.trim();
      if (name.includes('%')) {
        try {
          name = decodeURIComponent(name);
        } catch {
          /* an undecodable name is judged as it is */
        }
      }
      name = name.replace(/\[\]$/, ''); // `token[]=…`
      const lower = name.toLowerCase();
      hit = paramNames.has(lower) || LONG_SUFFIX.test(lower) || SHORT_SUFFIX.test(lower) || CAMEL_SUFFIX.test(name);
      if (paramCache.size < 10_000) paramCache.set(rawName, hit);
    }
    return hit;
  }

  return { isSecretHeader, isSecretParam };
}
