/**
 * Who may read and who may act in the console.
 *
 * Reading: `Authorization: Bearer <API_TOKEN>`, or a session cookie that the login form
 * sets after checking the token. The cookie holds no secret: it is
 * `<expiryMs>.<HMAC-SHA256(key, expiry)>` with the key derived from `API_TOKEN`, so it
 * proves the token was known without carrying it, expires on its own, and every session
 * ends when the token is rotated. HttpOnly (no script reads it), SameSite=Strict (no other
 * site's page sends it), Path=/console.
 *
 * Acting (replay): the request must also carry `ADMIN_TOKEN` (typed into the form; it is
 * never stored in the cookie) and a CSRF token bound to the session, so a page elsewhere
 * cannot submit the form even if SameSite were ignored.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { FastifyRequest } from "fastify";

/** The session cookie's name. */
export const SESSION_COOKIE = "gatepay_console";

/** How long a session lasts, ms: 8 hours (a working day). */
export const SESSION_TTL_MS = 8 * 3_600_000;

/** The reader of a request: how it proved it knows `API_TOKEN`. */
export type ConsoleReader = { via: "bearer" } | { via: "session"; session: string };

/** Session, CSRF and token checks over the configured tokens. */
export class ConsoleAuth {
  readonly #apiDigest: Buffer | undefined;
  readonly #adminDigest: Buffer | undefined;
  readonly #key: Buffer | undefined;
  readonly #now: () => number;

  constructor(
    apiToken: { reveal(): string } | undefined,
    adminToken: { reveal(): string } | undefined,
    now: () => number = Date.now,
  ) {
    this.#apiDigest = apiToken ? digest(apiToken.reveal()) : undefined;
    this.#adminDigest = adminToken ? digest(adminToken.reveal()) : undefined;
    this.#key = apiToken
      ? createHmac("sha256", apiToken.reveal()).update("gatepay-console-session-key").digest()
      : undefined;
    this.#now = now;
  }

  /** False when `API_TOKEN` is unset: the console is closed. */
  get configured(): boolean {
    return this.#apiDigest !== undefined;
  }

  /** False when `ADMIN_TOKEN` is unset: no actions. */
  get adminConfigured(): boolean {
    return this.#adminDigest !== undefined;
  }

  /** True when `presented` is `API_TOKEN`. */
  isApiToken(presented: string): boolean {
    return this.#apiDigest !== undefined && timingSafeEqual(digest(presented), this.#apiDigest);
  }

  /** True when `presented` is `ADMIN_TOKEN`. */
  isAdminToken(presented: string): boolean {
    return this.#adminDigest !== undefined && timingSafeEqual(digest(presented), this.#adminDigest);
  }

  /** A new session cookie value. */
  newSession(): string {
    const expiry = String(this.#now() + SESSION_TTL_MS);
    return `${expiry}.${this.#mac(`session|${expiry}`)}`;
  }

  /** `Set-Cookie` for a session value (empty value + Max-Age=0 clears it). */
  cookieHeader(value: string, secure: boolean): string {
    const maxAge = value === "" ? 0 : Math.floor(SESSION_TTL_MS / 1000);
    return [
      `${SESSION_COOKIE}=${value}`,
      "Path=/console",
      "HttpOnly",
      "SameSite=Strict",
      `Max-Age=${maxAge}`,
      ...(secure ? ["Secure"] : []),
    ].join("; ");
  }

  /** Who reads: a valid bearer token or session cookie; undefined when neither. */
  reader(request: FastifyRequest): ConsoleReader | undefined {
    if (!this.#key) return undefined;
    const bearer = /^\s*bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "");
    if (bearer && this.isApiToken(bearer[1]!)) return { via: "bearer" };
    const session = readCookie(request.headers.cookie, SESSION_COOKIE);
    if (session && this.#validSession(session)) return { via: "session", session };
    return undefined;
  }

  /** The CSRF token of a reader's forms. */
  csrfFor(reader: ConsoleReader): string {
    return this.#mac(`csrf|${reader.via === "session" ? reader.session : "bearer"}`);
  }

  /** True when `presented` is the reader's CSRF token. */
  checkCsrf(reader: ConsoleReader, presented: string | undefined): boolean {
    if (presented === undefined) return false;
    return timingSafeEqual(digest(presented), digest(this.csrfFor(reader)));
  }

  #validSession(value: string): boolean {
    const dot = value.indexOf(".");
    if (dot <= 0) return false;
    const expiry = value.slice(0, dot);
    if (!/^\d{1,16}$/.test(expiry) || Number(expiry) <= this.#now()) return false;
    return timingSafeEqual(digest(value.slice(dot + 1)), digest(this.#mac(`session|${expiry}`)));
  }

  #mac(data: string): string {
    return createHmac("sha256", this.#key ?? Buffer.alloc(32))
      .update(data)
      .digest("base64url");
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

// Equal-length digests for timingSafeEqual; lengths stay hidden too.
function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}
