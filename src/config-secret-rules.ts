/**
 * Well-known placeholder values of secrets (the ones in docker-compose.yml, README
 * examples and `.env` templates, and the classics: `change-me`, `secret`, `xxxxxxxx`).
 * A deployment that talks to the real GatePay with one of them is open to anyone who has
 * read the same example, so `loadConfig` refuses them outside the sandbox.
 *
 * "The sandbox" is a `GATEPAY_BASE_URL` over plain `http://`: GatePay itself is served
 * over https only (gatepay-api.md §1), while the project's simulator (docker-compose's
 * `http://sandbox:8090`, the demo, the tests) is plain http.
 */

/** Values refused outright, compared after {@link normalize}. */
const EXACT = new Set([
  "secret",
  "secretkey",
  "password",
  "passw0rd",
  "token",
  "apitoken",
  "admintoken",
  "metricstoken",
  "apikey",
  "test",
  "testing",
  "default",
  "changeme",
  "changeit",
  "example",
  "sample",
  "dummy",
  "todo",
  "none",
  "null",
  "undefined",
  "0123456789abcdef",
  "1234567890123456",
  "abcdefghijklmnop",
]);

/** Words whose presence anywhere marks a value as a placeholder, after {@link normalize}. */
const CONTAINED = [
  "changeme",
  "replaceme",
  "placeholder",
  "insertyour",
  "putyour",
  "setme",
  "fillme",
  "notasecret",
];

/** Lower case, letters and digits only: `Change_Me!` and `change-me` are one value. */
function normalize(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]/g, "");
}

/**
 * True when `value` is a well-known placeholder: one of the listed values, a value
 * containing a "change me"-style word, or one character repeated (`xxxxxxxxxxxxxxxx`).
 */
export function isPlaceholderSecret(value: string): boolean {
  const n = normalize(value);
  if (n === "") return true;
  if (EXACT.has(n)) return true;
  if (/^(.)\1*$/.test(n)) return true;
  // "your-api-token-here", "<your secret key>", "YOUR_METRICS_TOKEN"…
  if (/your\w*(token|secret|key|password)/.test(n)) return true;
  return CONTAINED.some((word) => n.includes(word));
}

/** True when `baseUrl` is the sandbox (plain http); see the module comment. */
export function isSandboxBaseUrl(baseUrl: string): boolean {
  return URL.canParse(baseUrl) && new URL(baseUrl).protocol === "http:";
}

const TOKEN_VARS = ["GATEPAY_SECRET_KEY", "API_TOKEN", "ADMIN_TOKEN", "METRICS_TOKEN"] as const;

/** One problem with a secret's value: the variables involved and an error line. */
export interface SecretValueProblem {
  readonly variables: readonly string[];
  readonly message: string;
}

/**
 * The rules on secret values that span variables, for `loadConfig` (values never echoed):
 * - a well-known placeholder in `GATEPAY_SECRET_KEY`, `API_TOKEN`, `ADMIN_TOKEN` or
 *   `METRICS_TOKEN` is refused unless `GATEPAY_BASE_URL` is the sandbox: anyone who read
 *   the same example could sign requests or call the API;
 * - `ADMIN_TOKEN` must differ from `API_TOKEN` and `METRICS_TOKEN`, or a producer's (or
 *   a scraper's) token could clean and obliterate queues.
 *
 * @param raw the variables as set, defaults applied (`GATEPAY_BASE_URL` included).
 */
export function secretValueProblems(
  raw: Readonly<Partial<Record<string, string>>>,
): SecretValueProblem[] {
  const problems: SecretValueProblem[] = [];
  if (!isSandboxBaseUrl(raw.GATEPAY_BASE_URL ?? "")) {
    for (const name of TOKEN_VARS) {
      const value = raw[name];
      if (value === undefined || !isPlaceholderSecret(value)) continue;
      problems.push({
        variables: [name],
        message: `${name}: is a well-known placeholder, accepted only against the sandbox (an http:// GATEPAY_BASE_URL); set a real secret (value hidden)`,
      });
    }
  }
  const admin = raw.ADMIN_TOKEN;
  for (const other of ["API_TOKEN", "METRICS_TOKEN"] as const) {
    if (admin !== undefined && raw[other] === admin) {
      problems.push({
        variables: ["ADMIN_TOKEN", other],
        message: `ADMIN_TOKEN, ${other}: ADMIN_TOKEN must differ from ${other} (values hidden)`,
      });
    }
  }
  return problems;
}
