/**
 * The console's pure parts: HTML escaping, batch progress arithmetic, and the session and
 * CSRF tokens (with a fixed clock).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ConsoleAuth, SESSION_TTL_MS } from "../../src/http/console/console-auth.js";
import { esc, html, Html } from "../../src/http/console/html.js";
import { batchProgress } from "../../src/http/console/progress.js";
import { Secret } from "../../src/secret.js";

const API = new Secret("api-token-for-unit-tests-1");
const ADMIN = new Secret("admin-token-for-unit-tests-2");

function requestWith(headers: Record<string, string>) {
  return { headers } as unknown as Parameters<ConsoleAuth["reader"]>[0];
}

describe("console HTML", () => {
  it("escapes the five special characters and nothing else", () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe(
      "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;",
    );
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = esc(s);
        expect(out).not.toMatch(/[<>"']/);
        expect(out.replace(/&(lt|gt|quot|#39|amp);/g, "")).not.toContain("&");
      }),
    );
  });

  it("escapes interpolated values, arrays included, but not Html built by html``", () => {
    const inner = html`<b>${"<i>"}</b>`;
    const page = html`<p title="${'"x"'}">${["<1>", inner]}</p>`;
    expect(page).toBeInstanceOf(Html);
    expect(page.value).toBe('<p title="&quot;x&quot;">&lt;1&gt;<b>&lt;i&gt;</b></p>');
    expect(html`${undefined}${null}${false}${0}`.value).toBe("0");
  });
});

describe("batch progress", () => {
  it("counts final states over all states, rounding down", () => {
    expect(batchProgress({})).toEqual({ total: 0, final: 0, percent: 0, byState: {} });
    const p = batchProgress({ queued: 1, accepted: 1, succeeded: 4, dead: 1, total: 7 });
    expect(p).toEqual({
      total: 7,
      final: 5,
      percent: 71,
      byState: { queued: 1, accepted: 1, succeeded: 4, dead: 1 },
    });
    // 199 of 200 final is not 100 %.
    expect(batchProgress({ succeeded: 199, processing: 1 }).percent).toBe(99);
  });
});

describe("console sessions", () => {
  it("a session is valid until it expires, and only under the token that made it", () => {
    let now = 1_000_000;
    const auth = new ConsoleAuth(API, ADMIN, () => now);
    const session = auth.newSession();
    expect(session).not.toContain(API.reveal());
    const cookie = { cookie: `other=1; gatepay_console=${session}` };
    expect(auth.reader(requestWith(cookie))).toEqual({ via: "session", session });
    const rotated = new ConsoleAuth(new Secret("another-api-token-3333"), ADMIN, () => now);
    expect(rotated.reader(requestWith(cookie))).toBeUndefined();
    // A changed expiry breaks the MAC.
    const [expiry, mac] = session.split(".");
    const longer = `${Number(expiry) + 1}.${mac}`;
    expect(auth.reader(requestWith({ cookie: `gatepay_console=${longer}` }))).toBeUndefined();
    now += SESSION_TTL_MS + 1;
    expect(auth.reader(requestWith(cookie))).toBeUndefined();
  });

  it("bearer API_TOKEN reads; ADMIN_TOKEN does not; CSRF is bound to the session", () => {
    const auth = new ConsoleAuth(API, ADMIN);
    expect(auth.reader(requestWith({ authorization: `Bearer ${API.reveal()}` }))).toEqual({
      via: "bearer",
    });
    expect(auth.reader(requestWith({ authorization: `Bearer ${ADMIN.reveal()}` }))).toBeUndefined();
    expect(auth.isAdminToken(ADMIN.reveal())).toBe(true);
    expect(auth.isAdminToken(API.reveal())).toBe(false);
    const a = { via: "session" as const, session: auth.newSession() };
    const b = { via: "session" as const, session: `${a.session}x` };
    expect(auth.checkCsrf(a, auth.csrfFor(a))).toBe(true);
    expect(auth.checkCsrf(a, auth.csrfFor(b))).toBe(false);
    expect(auth.checkCsrf(a, undefined)).toBe(false);
  });

  it("no API_TOKEN: closed; no ADMIN_TOKEN: no admin token matches", () => {
    const closed = new ConsoleAuth(undefined, undefined);
    expect(closed.configured).toBe(false);
    expect(closed.reader(requestWith({ authorization: "Bearer anything" }))).toBeUndefined();
    expect(closed.isAdminToken("")).toBe(false);
    expect(new ConsoleAuth(API, undefined).adminConfigured).toBe(false);
  });

  it("the cookie is HttpOnly, SameSite=Strict, scoped to /console, Secure over HTTPS", () => {
    const auth = new ConsoleAuth(API, ADMIN);
    expect(auth.cookieHeader("v", true)).toBe(
      "gatepay_console=v; Path=/console; HttpOnly; SameSite=Strict; Max-Age=28800; Secure",
    );
    expect(auth.cookieHeader("", false)).toContain("Max-Age=0");
  });
});
