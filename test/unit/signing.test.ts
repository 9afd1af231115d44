import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  buildSignedHeaders,
  generateNonce,
  signPayload,
  verifySignature,
} from "../../src/gatepay/signing.js";

// Known-answer vectors of gatepay-api.md §3.4 (V1 published by a third party; V2–V5
// cross-checked with Node crypto, Python hmac and Gate's Java SDK signer).
const VECTORS = [
  {
    name: "V1",
    secret: "123",
    ts: "1700073707111",
    nonce: "456",
    body: "{the_answer: 42}",
    sig: "1b03f547af065490c6e106bd93afc861329c52b596512d49489ca0c4ea57adee2991a576e402422a6bb092b83acf0a5618f5b0a7d4c639ae7779fbb3a1b16346",
  },
  {
    name: "V2",
    secret: "your_payment_api_secret",
    ts: "1710000000000",
    nonce: "abc123xyz789",
    body: '{"merchantTradeNo":"M202604150001","currency":"USDT","orderAmount":"10.00"}',
    sig: "991d629a25b2067df90c3c683061236105205945ba1ceb8af9672b3efae35d7bbdc62d092b07ac4c5b51ee5aed54d40846b1809331614e867dd94a506a2e03f6",
  },
  {
    name: "V3 (GET, empty body)",
    secret: "123",
    ts: "1700073707111",
    nonce: "456",
    body: "",
    sig: "9840f2b48d9f34f5beff5f05ba4ac2d4869206cb7677298718906964a52b8fa419e09894c0e304f3a2280c7182769940dd39a681077edbed95b44f926b175013",
  },
  {
    name: "V4 (refund body)",
    secret: "123",
    ts: "1700073707111",
    nonce: "456",
    body: '{"refundRequestId":"156123911","prepayId":"1647438500687506","refundAmount":"0.8"}',
    sig: "d3914471de92d1fd4a3dc597ac5e662b47b0c2b84589d4254f3004378bf5878c2a7b5e154f2be18ba2b53ff5338de80981f568d93023c8124a92c0037efd8c6d",
  },
  {
    name: "V5 (V4 with the Go SDK's trailing newline)",
    secret: "123",
    ts: "1700073707111",
    nonce: "456",
    body: '{"refundRequestId":"156123911","prepayId":"1647438500687506","refundAmount":"0.8"}\n',
    sig: "c802e78a68801344b1532c5186d0f0ced2e880c25919df3dd3be52387b1e3d0a579ed84b58557662e1bb2a85cfc51b383eb854d6de496fa6dcf12755181820e6",
  },
] as const;

describe("signPayload", () => {
  it.each(VECTORS)("$name matches the known answer", (v) => {
    expect(signPayload(v.secret, v.ts, v.nonce, v.body)).toBe(v.sig);
  });

  it("takes the timestamp as a number too", () => {
    const v = VECTORS[0];
    expect(signPayload(v.secret, Number(v.ts), v.nonce, v.body)).toBe(v.sig);
  });
});

describe("verifySignature", () => {
  it.each(VECTORS)("$name verifies, also in upper case", (v) => {
    expect(verifySignature(v.secret, v.ts, v.nonce, v.body, v.sig)).toBe(true);
    expect(verifySignature(v.secret, v.ts, v.nonce, v.body, v.sig.toUpperCase())).toBe(true);
  });

  it("rejects wrong length, non-hex and non-ASCII signatures without throwing", () => {
    const v = VECTORS[0];
    expect(verifySignature(v.secret, v.ts, v.nonce, v.body, v.sig.slice(0, 64))).toBe(false);
    expect(verifySignature(v.secret, v.ts, v.nonce, v.body, `${v.sig}00`)).toBe(false);
    expect(verifySignature(v.secret, v.ts, v.nonce, v.body, "z".repeat(128))).toBe(false);
    expect(verifySignature(v.secret, v.ts, v.nonce, v.body, `é${v.sig.slice(1)}`)).toBe(false);
    expect(verifySignature(v.secret, v.ts, v.nonce, v.body, "")).toBe(false);
  });

  it("round-trips and detects any change of secret, timestamp, nonce or body", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1 }),
        fc.nat(),
        fc.stringMatching(/^[A-Za-z0-9]{1,32}$/),
        fc.string(),
        fc.string({ minLength: 1 }),
        (secret, ts, nonce, body, extra) => {
          const sig = signPayload(secret, ts, nonce, body);
          expect(sig).toMatch(/^[0-9a-f]{128}$/);
          expect(verifySignature(secret, ts, nonce, body, sig)).toBe(true);
          expect(verifySignature(secret + extra, ts, nonce, body, sig)).toBe(false);
          expect(verifySignature(secret, ts + 1, nonce, body, sig)).toBe(false);
          expect(verifySignature(secret, ts, nonce + extra, body, sig)).toBe(false);
          expect(verifySignature(secret, ts, nonce, body + extra, sig)).toBe(false);
        },
      ),
    );
  });
});

describe("generateNonce", () => {
  it("is alphanumeric, 32 characters by default and fresh each time", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const n = generateNonce();
      expect(n).toMatch(/^[A-Za-z0-9]{32}$/);
      seen.add(n);
    }
    expect(seen.size).toBe(1000);
  });

  it("draws every character of the alphabet equally often", () => {
    const counts = new Map<string, number>();
    const nonces = 20_000;
    for (let i = 0; i < nonces; i++) {
      for (const c of generateNonce()) counts.set(c, (counts.get(c) ?? 0) + 1);
    }
    expect(counts.size).toBe(62);
    const expected = (nonces * 32) / 62; // ≈ 10,323; a bias of 1/62 would be off by ~1.6 %
    for (const n of counts.values()) expect(Math.abs(n - expected) / expected).toBeLessThan(0.05);
  });

  it("refuses lengths outside 1..32", () => {
    expect(() => generateNonce(0)).toThrow(RangeError);
    expect(() => generateNonce(33)).toThrow(RangeError);
    expect(generateNonce(9)).toMatch(/^[A-Za-z0-9]{9}$/);
  });
});

describe("buildSignedHeaders", () => {
  it("signs exactly the given body with the given clock and nonce", () => {
    const body = VECTORS[3].body;
    const h = buildSignedHeaders({
      clientId: "cid",
      secret: "123",
      body,
      timestampMs: 1700073707111,
      nonce: "456",
    });
    expect(h).toEqual({
      "Content-Type": "application/json",
      "X-GatePay-Certificate-ClientId": "cid",
      "X-GatePay-Timestamp": "1700073707111",
      "X-GatePay-Nonce": "456",
      "X-GatePay-Signature": VECTORS[3].sig,
    });
  });

  it("adds X-GatePay-On-Behalf-Of only in institution mode", () => {
    const h = buildSignedHeaders({ clientId: "c", secret: "s", body: "", onBehalfOf: "10002" });
    expect(h["X-GatePay-On-Behalf-Of"]).toBe("10002");
    expect(h["X-GatePay-Timestamp"]).toMatch(/^\d{13}$/);
  });
});
