/**
 * Signing throughput (gatepay-api.md §3): the project's signer against bare
 * `node:crypto` doing the same work, on a typical refund body. Each figure is the median
 * of `runs` timed loops of about `loopMs` each, after a warm-up.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import {
  buildSignedHeaders,
  generateNonce,
  signPayload,
  verifySignature,
} from "../src/gatepay/signing.js";
import { median } from "./stats.js";

const SECRET = "bench-secret-3b8e0f2a7c9d4e1f6a5b";
const BODY = JSON.stringify({
  refundRequestId: "R20261003000000001",
  prepayId: "1991810932510167040",
  refundAmount: "12.50",
  refundReason: "customer return",
});

/** One signing figure: the project's operation and its bare equivalent. */
export interface SigningMeasure {
  name: string;
  /** What the baseline does. */
  baseline: string;
  baselineOpsPerSecond: number;
  projectOpsPerSecond: number;
}

function timedLoop(fn: () => unknown, loopMs: number): number {
  let n = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < loopMs) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
    elapsed = performance.now() - started;
  }
  return (n * 1000) / elapsed;
}

/** Median ops/s of `a` and of `b`, their loops alternating so load changes hit both. */
function compare(
  a: () => unknown,
  b: () => unknown,
  loopMs: number,
  runs: number,
): [number, number] {
  for (let w = 0; w < 2_000; w++) {
    a();
    b();
  }
  const ra: number[] = [];
  const rb: number[] = [];
  for (let r = 0; r < runs; r++) {
    ra.push(timedLoop(a, loopMs));
    rb.push(timedLoop(b, loopMs));
  }
  return [median(ra), median(rb)];
}

const bareSign = (ts: string, nonce: string): string =>
  createHmac("sha512", SECRET).update(`${ts}\n${nonce}\n${BODY}\n`, "utf8").digest("hex");

/** Runs every signing figure, project and baseline interleaved. */
export function runSigning(loopMs = 300, runs = 5): SigningMeasure[] {
  const ts = String(Date.now());
  const nonce = generateNonce();
  const signature = signPayload(SECRET, ts, nonce, BODY);
  const pairs: [string, string, () => unknown, () => unknown][] = [
    [
      "signPayload (HMAC-SHA512 hex of timestamp, nonce, body)",
      "createHmac(sha512).update().digest(hex)",
      () => bareSign(ts, nonce),
      () => signPayload(SECRET, ts, nonce, BODY),
    ],
    [
      "generateNonce (32 letters/digits)",
      "randomBytes(16).toString(hex)",
      () => randomBytes(16).toString("hex"),
      () => generateNonce(),
    ],
    [
      "buildSignedHeaders (clock, nonce, signature, header object)",
      "Date.now + randomBytes nonce + HMAC + object",
      () => {
        const t = String(Date.now());
        const n = randomBytes(16).toString("hex");
        return { t, n, s: bareSign(t, n) };
      },
      () => buildSignedHeaders({ clientId: "bench-client", secret: SECRET, body: BODY }),
    ],
    [
      "verifySignature (webhooks, sandbox)",
      "HMAC + Buffer.from(hex) + timingSafeEqual",
      () => timingSafeEqual(Buffer.from(bareSign(ts, nonce), "hex"), Buffer.from(signature, "hex")),
      () => verifySignature(SECRET, ts, nonce, BODY, signature),
    ],
  ];
  return pairs.map(([name, baseline, bare, project]) => {
    const [baselineOpsPerSecond, projectOpsPerSecond] = compare(bare, project, loopMs, runs);
    return { name, baseline, baselineOpsPerSecond, projectOpsPerSecond };
  });
}
