/**
 * Principals in records the pipeline could not store (dead letters). Under a policy that
 * pseudonymises principals, the dead-lettered text must not name anyone either: every value
 * of a field that holds a principal in some gateway format (Kong's consumer, NGINX's
 * `$remote_user`, AWS's authorizer principal, APIM's user and subscription, Traefik's client
 * user name, the generic names…) becomes the pseudonym the events table would have stored for
 * it, as does each principal the pipeline itself found in the record. It works on text that
 * may be cut off or broken (that is why it is a dead letter): JSON, JSON escaped inside a
 * string, `name=value` text and the NGINX/Apache log line. Pure; linear scans only.
 */

/** Field names (compared case-insensitively) whose values are principals in some format. */
export const PRINCIPAL_FIELD_NAMES = [
  // generic JSON, NGINX JSON
  'user', 'username', 'user_name', 'userid', 'user_id', 'remote_user', 'principal', 'principalid', 'principal_id', 'subject', 'login',
  // Kong (`consumer` may also be an object: all of its string values go), Traefik
  'consumer', 'consumer_id', 'custom_id', 'clientusername',
  // AWS API Gateway ($context.authorizer.principalId, claims.sub, identity.*), Azure APIM
  'authorizerprincipalid', 'sub', 'cognitoidentityid', 'userarn', 'caller', 'apimsubscriptionid',
];

export interface PrincipalScrubberOptions {
  /** more field names: the last segment of configured field mappings (`ingest.genericFields.principal`) */
  extraNames?: string[];
  /** the pseudonym of one principal id, exactly as the events table gets it */
  pseudonym: (id: string) => string;
}

// a value that is already a pseudonym, a fingerprint or a redaction marker as a whole
const DONE = /^(?:pn:[0-9a-f]{32}|fp:[0-9a-f]{32}|\[REDACTED:[a-z0-9_]+\])$/;
const ESCAPE = /[.*+?^${}()|[\]\\]/g;
const BOUNDARY = 'A-Za-z0-9_.@+-';

function jsonUnescape(s: string): string {
  try {
    return JSON.parse(`"${s}"`) as string;
  } catch {
    return s; // cut off in the middle of an escape: the text as it is
  }
}

export function createPrincipalScrubber(opts: PrincipalScrubberOptions) {
  const names = new Set([...PRINCIPAL_FIELD_NAMES, ...(opts.extraNames ?? [])].map((n) => n.toLowerCase()));
  // `authorizer.principalId` as a flattened key: its last segment decides
  const isPrincipalField = (name: string) => {
    const n = name.toLowerCase();
    return names.has(n) || names.has(n.slice(n.lastIndexOf('.') + 1));
  };
  // the result is a pseudonym (`pn:` + hex) or the value itself when it names nobody (empty,
  // `-`) or is already a pseudonym or marker: never anything that needs escaping
  const pseudo = (id: string): string => (id === '' || id === '-' || DONE.test(id) ? id : opts.pseudonym(id));

  // `"name": "value"` (a value cut off at the end of the text counts too), `"name": 123`
  const JSON_STRING = /("([A-Za-z0-9_.-]{1,64})"\s{0,3}:\s{0,3}")((?:[^"\\]|\\.)*)/g;
  const JSON_NUMBER = /("([A-Za-z0-9_.-]{1,64})"\s{0,3}:\s{0,3})(-?\d[\d.eE+-]{0,63})(?![\d.eE+-])/g;
  // the same inside a JSON string: `"{\"user\":\"bob\"}"`
  const ESCAPED_STRING = /(\\"([A-Za-z0-9_.-]{1,64})\\"\s{0,3}:\s{0,3}\\")((?:[^"\\]|\\[^"])*)/g;
  // Kong: `"consumer": {"id": …, "username": …, "custom_id": …}`
  const CONSUMER_OBJECT = /("consumer"\s{0,3}:\s{0,3}\{)([^{}]{0,4096})/gi;
  const OBJECT_STRING = /("[A-Za-z0-9_.-]{1,64}"\s{0,3}:\s{0,3}")((?:[^"\\]|\\.)*)/g;
  // `user=bob`, `user: "bob"` in free text
  const NAMED = /(?<![A-Za-z0-9_.-])([A-Za-z][A-Za-z0-9_.-]{0,63})(\s{0,3}[:=]\s{0,3})(["']?)([^\s"'&;,)}\]]{1,256})/g;
  // `$remote_addr - $remote_user [$time_local] …` (NGINX, Apache): the third field
  const COMBINED_LINE = /^(\S+ \S+ )([^\s[]+)( \[\d{2}\/[A-Z][a-z]{2}\/\d{4}:)/;

  function known(text: string, ids: string[]): string {
    let out = text;
    for (const id of ids) {
      if (!id || DONE.test(id)) continue;
      for (const form of new Set([id, JSON.stringify(id).slice(1, -1)])) {
        const re = new RegExp(`(?<![${BOUNDARY}])${form.replace(ESCAPE, '\\$&')}(?![${BOUNDARY}])`, 'g');
        out = out.replace(re, () => pseudo(id));
      }
    }
    return out;
  }

  /**
   * The text with every principal it holds replaced by its pseudonym.
   * @param knownIds principals the pipeline found in this record (before it was rejected)
   */
  return function scrub(text: string, knownIds: string[] = []): string {
    let out = known(text, knownIds);
    out = out.replace(CONSUMER_OBJECT, (_m, head: string, body: string) => head + body.replace(OBJECT_STRING, (_n, h: string, v: string) => h + pseudo(jsonUnescape(v))));
    out = out.replace(JSON_STRING, (m, head: string, name: string, value: string) => (isPrincipalField(name) ? head + pseudo(jsonUnescape(value)) : m));
    out = out.replace(JSON_NUMBER, (m, head: string, name: string, value: string) => (isPrincipalField(name) ? `${head}"${pseudo(value)}"` : m));
    out = out.replace(ESCAPED_STRING, (m, head: string, name: string, value: string) => (isPrincipalField(name) ? head + pseudo(jsonUnescape(jsonUnescape(value))) : m));
    out = out.replace(NAMED, (m, name: string, sep: string, quote: string, value: string) => (isPrincipalField(name) ? name + sep + quote + pseudo(value) : m));
    return out.replace(COMBINED_LINE, (_m, head: string, user: string, tail: string) => head + pseudo(user) + tail);
  };
}

export type PrincipalScrubber = ReturnType<typeof createPrincipalScrubber>;
