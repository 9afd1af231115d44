import fc from "fast-check";
import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { MAX_DEPTH } from "../../src/log-redaction.js";
import { REDACTED, SECRET_KEYS as LOGGER_SECRET_KEYS, createLogger } from "../../src/logger.js";
import { Secret } from "../../src/secret.js";

const SECRET = "Sup3rS3cretValue-9f8e7d6c";

/** A logger writing synchronously into an array of parsed lines. */
function capture(level = "trace") {
  const raw: string[] = [];
  const log = createLogger({ level, destination: { write: (s: string) => void raw.push(s) } });
  const lines = () => raw.map((l) => JSON.parse(l) as Record<string, unknown>);
  const text = () => raw.join("");
  return { log, lines, text };
}

// Every key the brief lists, as a property name of a plain object.
const SECRET_KEYS = [
  "secretKey",
  "secret",
  "signature",
  "apiToken",
  "token",
  "password",
  "authorization",
];
const SIGNATURE_HEADERS = [
  "authorization",
  "Authorization",
  "x-gatepay-signature",
  "X-GatePay-Signature",
];

describe("createLogger redaction", () => {
  it.each(SECRET_KEYS)("redacts %s at depth 0, 1 and 2", (key) => {
    const { log, lines, text } = capture();
    log.info(
      { [key]: SECRET, job: { [key]: SECRET, request: { [key]: SECRET, kept: "visible" } } },
      "m",
    );
    expect(text()).not.toContain(SECRET);
    expect(lines()[0]).toMatchObject({
      [key]: REDACTED,
      job: { [key]: REDACTED, request: { [key]: REDACTED, kept: "visible" } },
      msg: "m",
    });
  });

  it.each(SIGNATURE_HEADERS)("redacts the %s header at depth 0, 1 and 2", (header) => {
    const { log, lines, text } = capture();
    const headers = { [header]: SECRET, "X-GatePay-Nonce": "n0nce" };
    log.info({ headers, request: { headers }, attempt: { request: { headers } } });
    expect(text()).not.toContain(SECRET);
    const line = lines()[0]!;
    const expected = { [header]: REDACTED, "X-GatePay-Nonce": "n0nce" };
    expect(line.headers).toEqual(expected);
    expect(line.request).toEqual({ headers: expected });
    expect(line.attempt).toEqual({ request: { headers: expected } });
  });

  it("redacts a header set logged on its own", () => {
    const { log, text } = capture();
    log.info({ sent: { "X-GatePay-Signature": SECRET, "x-gatepay-signature": SECRET } });
    log.info({ "X-GatePay-Signature": SECRET });
    expect(text()).not.toContain(SECRET);
  });

  it("redacts any secret key under any six container names", () => {
    const ident = fc.stringMatching(/^[a-z][A-Za-z0-9]{0,8}$/);
    fc.assert(
      fc.property(
        fc.constantFrom(...SECRET_KEYS),
        fc.array(ident, { maxLength: 6 }),
        (key, outer) => {
          const { log, text } = capture();
          let obj: Record<string, unknown> = { [key]: SECRET };
          for (const name of [...outer].reverse()) obj = { [name]: obj };
          log.info(obj, "x");
          expect(text()).not.toContain(SECRET);
        },
      ),
    );
  });

  it("a Secret instance serializes as [redacted] at any depth and key", () => {
    const { log, lines, text } = capture();
    const s = new Secret(SECRET);
    log.info({ whatever: s, a: { b: { c: { d: { e: s } } } }, list: [s] });
    expect(text()).not.toContain(SECRET);
    expect(lines()[0]).toMatchObject({ whatever: REDACTED, list: [REDACTED] });
  });

  it("a config object logs without its secrets or the Redis password", () => {
    const config = loadConfig({
      GATEPAY_SECRET_KEY: SECRET,
      API_TOKEN: `${SECRET}-token`,
      REDIS_URL: `redis://default:${SECRET}@redis.local:6379/0`,
    });
    const { log, lines, text } = capture();
    log.info({ config }, "starting");
    log.info({ worker: { config } }, "nested");
    log.child({ config }).info("as bindings");
    expect(text()).not.toContain(SECRET);
    const first = lines()[0] as { config: { redisUrl: string; gatepay: { secretKey: string } } };
    expect(first.config.redisUrl).toBe("redis://***@redis.local:6379/0");
    expect(first.config.gatepay.secretKey).toBe(REDACTED);
  });

  it("redacts child bindings", () => {
    const { log, text } = capture();
    log.child({ token: SECRET, refundRequestId: "r-1" }).info({ password: SECRET }, "child");
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain('"refundRequestId":"r-1"');
  });

  it("serializes errors under err, and redacts their secret properties", () => {
    const { log, lines, text } = capture();
    const err = Object.assign(new Error("GatePay said no", { cause: new Error("root cause") }), {
      code: "400002",
      headers: { "X-GatePay-Signature": SECRET },
      secretKey: SECRET,
    });
    log.error({ err }, "failed");
    expect(text()).not.toContain(SECRET);
    const line = lines()[0] as { err: Record<string, unknown> };
    expect(line.err).toMatchObject({
      type: "Error",
      message: expect.stringContaining("GatePay said no") as unknown,
      code: "400002",
      secretKey: REDACTED,
      headers: { "X-GatePay-Signature": REDACTED },
    });
    expect(line.err.stack).toEqual(expect.stringContaining("GatePay said no"));
  });

  it("leaves ordinary fields alone", () => {
    const { log, lines } = capture();
    log.info(
      { refundRequestId: "156123911", refundAmount: "0.8", nonce: "abc", tokenCount: 3 },
      "ok",
    );
    expect(lines()[0]).toMatchObject({
      refundRequestId: "156123911",
      refundAmount: "0.8",
      nonce: "abc",
      tokenCount: 3,
    });
  });

  it("redacts every secret key at any depth, in objects, arrays and bindings", () => {
    for (const key of LOGGER_SECRET_KEYS) {
      // The logged object's own level is 0, `at` is 1: the innermost object stays walked.
      for (let depth = 0; depth < MAX_DEPTH; depth++) {
        const { log, text } = capture();
        let obj: unknown = { [key]: SECRET, kept: "visible" };
        for (let d = 0; d < depth; d++) obj = d % 3 === 2 ? [obj] : { [`level${d}`]: obj };
        log.info({ at: obj }, "deep");
        log.child({ at: obj }).info("bound");
        expect(text(), `${key} at depth ${depth}`).not.toContain(SECRET);
        expect(text()).toContain("visible");
      }
    }
  });

  it("redacts what is too deep or too large to check, and survives cycles", () => {
    const { log, lines, text } = capture();
    let deep: Record<string, unknown> = { note: SECRET };
    for (let d = 0; d < MAX_DEPTH + 5; d++) deep = { d: deep };
    const cyclic: Record<string, unknown> = { name: "loop", token: SECRET };
    cyclic["self"] = cyclic;
    // Past the depth cap even an ordinary key's value is not written: it was not checked.
    log.info({ deep, cyclic }, "edge");
    const wide = Array.from({ length: 5_000 }, (_, i) => ({ i, token: SECRET }));
    log.info({ wide }, "wide");
    expect(text()).not.toContain(SECRET);
    expect(lines()[0]).toMatchObject({ msg: "edge", cyclic: { name: "loop", token: REDACTED } });
  });

  it("matches header names in any case inside headers, cookies included", () => {
    const { log, lines, text } = capture();
    const headers = {
      "X-GATEPAY-SIGNATURE": SECRET,
      AUTHORIZATION: SECRET,
      Cookie: SECRET,
      "set-cookie": [SECRET],
      "X-GatePay-Nonce": "n0nce",
    };
    log.info({ response: { headers } }, "h");
    expect(text()).not.toContain(SECRET);
    expect(lines()[0]).toMatchObject({ response: { headers: { "X-GatePay-Nonce": "n0nce" } } });
  });

  it("redacts values interpolated into the message and bindings set later", () => {
    const { log, text } = capture();
    log.info("config %o and %j", { secretKey: SECRET }, { deep: { password: SECRET } });
    log.info({ n: 1 }, "obj then %o", { token: SECRET });
    const child = log.child({ refundRequestId: "r-2" });
    child.setBindings({ apiToken: SECRET });
    child.info("after setBindings");
    child.child({ nested: { signature: SECRET } }).info("grandchild");
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain('"refundRequestId":"r-2"');
  });

  it("serializes an error under any key, its secrets and command arguments removed", () => {
    const { log, lines, text } = capture();
    const err = Object.assign(new Error("ERR invalid password"), {
      command: { name: "auth", args: ["default", SECRET] },
      secretKey: SECRET,
    });
    log.warn({ failure: { err }, list: [err] }, "nested");
    log.error(err);
    expect(text()).not.toContain(SECRET);
    const [first, second] = lines() as [Record<string, unknown>, Record<string, unknown>];
    expect(first["failure"]).toMatchObject({
      err: { type: "Error", message: "ERR invalid password", command: { name: "auth" } },
    });
    expect(second).toMatchObject({
      err: { command: { name: "auth" } },
      msg: "ERR invalid password",
    });
  });

  it("redacts what a child's own serializers and log formatter produce", () => {
    const { log, text } = capture();
    const child = log.child(
      { component: "http" },
      {
        serializers: { req: (r: { id: string }) => ({ id: r.id, headers: { cookie: SECRET } }) },
        formatters: { log: (o: object) => ({ ...o, added: { token: SECRET } }) },
      },
    );
    child.info({ req: { id: "q-1" } }, "request");
    expect(text()).not.toContain(SECRET);
    expect(text()).toContain('"id":"q-1"');
  });

  it("never changes the caller's object", () => {
    const { log } = capture();
    const obj = { secretKey: SECRET, inner: { token: SECRET }, headers: { Cookie: SECRET } };
    const copy = structuredClone(obj);
    log.info(obj, "x");
    log.child(obj).info("y");
    expect(obj).toEqual(copy);
  });
});

describe("createLogger options", () => {
  it("honours the level and the name", () => {
    const raw: string[] = [];
    const log = createLogger({
      level: "warn",
      name: "refund-worker",
      destination: { write: (s: string) => void raw.push(s) },
    });
    log.info("hidden");
    log.warn("shown");
    expect(raw).toHaveLength(1);
    expect(JSON.parse(raw[0]!)).toMatchObject({ name: "refund-worker", msg: "shown", level: 40 });
  });

  it("writes nothing at silent", () => {
    const { log, text } = capture("silent");
    log.fatal("nope");
    expect(text()).toBe("");
  });

  it("accepts a Node writable stream", async () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on("data", (c: Buffer) => chunks.push(c));
    const log = createLogger({ level: "info", destination: stream });
    log.info({ secret: SECRET }, "via stream");
    await new Promise<void>((resolve) => setImmediate(resolve));
    const text = Buffer.concat(chunks).toString();
    expect(text).toContain("via stream");
    expect(text).not.toContain(SECRET);
  });

  it("refuses an unknown level", () => {
    expect(() => createLogger({ level: "loud" })).toThrow(/level/);
  });
});
