/**
 * The package as a checkout backend gets it: `npm pack` from a clean copy of the sources
 * (so `prepack` must build, as from a fresh clone), the tarball installed into a fresh
 * temporary project with production dependencies only, then used from ESM and from
 * `require()`: each enqueues a refund through `gatepay-refund-worker/producer`, workers in
 * this process drive it through the GatePay sandbox, and the consumer reads it back final.
 *
 * Also checked: importing the producer entry loads none of fastify, bull-board or
 * prom-client; every subpath export resolves from both module systems; no source maps
 * point at sources that are not shipped; the types resolve for a NodeNext consumer.
 *
 * Slow (pack + build + install: a minute or two on a loaded machine); the npm registry is
 * reached with `--prefer-offline`, so a warm cache makes it quick.
 */
import { execFile } from "node:child_process";
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RefundRecord } from "../../src/domain/refund-record.js";
import { redisUrl } from "../helpers/redis.js";
import { startPipeline } from "../helpers/pipeline.js";

const run = promisify(execFile);
const REPO = fileURLToPath(new URL("../..", import.meta.url));
/** What a clean clone has that the build reads. */
const SOURCES = [
  "package.json",
  "tsconfig.json",
  "tsconfig.build.json",
  "README.md",
  "LICENSE",
  "CHANGELOG.md",
  "src",
  "scripts",
];
const SERVER_PACKAGES = ["fastify", "@bull-board/", "prom-client"];

/** Enqueues one refund, waits until it is final, prints `{ record, resolved }`. */
const CONSUMER_BODY = `
const prefix = process.env.PREFIX.slice(1, -1); // the bare name: the library adds the braces
const producer = createRefundProducer({ redisUrl: process.env.REDIS_URL, prefix });
try {
  const { created } = await producer.enqueue({
    refundRequestId: process.env.REFUND_ID,
    prepayId: process.env.PREPAY_ID,
    refundAmount: "12.30",
  });
  if (!created) throw new Error("expected a new refund");
  let record = null;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    record = await producer.getRefund(process.env.REFUND_ID);
    if (record && FINAL_STATES.has(record.state)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  process.stdout.write(JSON.stringify({ record, extra: extra() }));
} finally {
  await producer.close();
}
`;

const ESM_CONSUMER = `
import { createRefundProducer, FINAL_STATES } from "gatepay-refund-worker/producer";
import pkg from "gatepay-refund-worker/package.json" with { type: "json" };
const extra = () => ({ version: pkg.version });
${CONSUMER_BODY}
`;

// require() of an ES module: Node 20.19+ and 22.12+ do it without a flag (no top-level await
// anywhere in the graph). The body is wrapped in an async function, as CommonJS has no TLA.
const CJS_CONSUMER = `
const { createRefundProducer, FINAL_STATES } = require("gatepay-refund-worker/producer");
const kinds = {};
for (const entry of [".", "/producer", "/gatepay", "/worker", "/http", "/sandbox"]) {
  const m = require("gatepay-refund-worker" + (entry === "." ? "" : entry));
  kinds[entry] = Object.keys(m).length;
}
const api = {
  startSandbox: typeof require("gatepay-refund-worker/sandbox").startSandbox,
  startRefundWorkers: typeof require("gatepay-refund-worker/worker").startRefundWorkers,
  startHttpServer: typeof require("gatepay-refund-worker/http").startHttpServer,
  GatePayClient: typeof require("gatepay-refund-worker/gatepay").GatePayClient,
  version: require("gatepay-refund-worker/package.json").version,
};
const extra = () => ({ kinds, api });
(async () => {
${CONSUMER_BODY}
})().catch((err) => { console.error(err); process.exitCode = 1; });
`;

// Records every module URL the ESM loader resolves (module.register runs the hook off the
// main thread, so it appends to a file named by the environment).
const REGISTER = `
import { register } from "node:module";
register("./resolve-log-hook.mjs", import.meta.url);
`;
const RESOLVE_HOOK = `
import { appendFileSync } from "node:fs";
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.RESOLVE_LOG, result.url + "\\n");
  return result;
}
`;
const ONLY_PRODUCER = `import "gatepay-refund-worker/producer";\n`;

// The public types, checked as a NodeNext TypeScript consumer sees them.
const TYPED_CONSUMER = `
import { createRefundProducer, type RefundRecord } from "gatepay-refund-worker/producer";
import { GatePayClient } from "gatepay-refund-worker/gatepay";
import type { RefundWorkers } from "gatepay-refund-worker/worker";
import type { HttpServer } from "gatepay-refund-worker/http";
import type { Sandbox } from "gatepay-refund-worker/sandbox";
export type Seen = [RefundRecord, RefundWorkers, HttpServer, Sandbox, typeof GatePayClient];
export const make = () => createRefundProducer({ prefix: "gatepay" });
`;

let work: string;
let project: string;
let tarball: string;

async function sh(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  return run(cmd, args, { cwd, env, maxBuffer: 64 * 1024 * 1024, timeout: 400_000 });
}

describe("the npm package, installed into a fresh project", { timeout: 600_000 }, () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), "gatepay-pack-"));
    const clone = join(work, "clone");
    mkdirSync(clone);
    for (const f of SOURCES) cpSync(join(REPO, f), join(clone, f), { recursive: true });
    symlinkSync(join(REPO, "node_modules"), join(clone, "node_modules"), "dir");
    const packed = await sh("npm", ["pack", "--json", "--pack-destination", work], clone);
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    tarball = join(work, info.filename);
    writeFileSync(join(work, "files.json"), JSON.stringify(info.files.map((f) => f.path)));

    project = join(work, "app");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "checkout-app", version: "1.0.0", private: true }),
    );
    await sh(
      "npm",
      ["install", tarball, "--omit=dev", "--prefer-offline", "--no-audit", "--no-fund"],
      project,
    );
    writeFileSync(join(project, "esm.mjs"), ESM_CONSUMER);
    writeFileSync(join(project, "cjs.cjs"), CJS_CONSUMER);
    writeFileSync(join(project, "register.mjs"), REGISTER);
    writeFileSync(join(project, "resolve-log-hook.mjs"), RESOLVE_HOOK);
    writeFileSync(join(project, "only-producer.mjs"), ONLY_PRODUCER);
    writeFileSync(join(project, "typed.ts"), TYPED_CONSUMER);
  }, 600_000);

  afterAll(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("ships the built code with its Lua scripts, and no source maps or tests", async () => {
    const files = JSON.parse(await readFile(join(work, "files.json"), "utf8")) as string[];
    expect(files).toContain("dist/index.js");
    expect(files).toContain("dist/producer/index.js");
    expect(files).toContain("dist/producer/index.d.ts");
    expect(files).toContain("dist/cli.js");
    expect(files).toContain("LICENSE");
    expect(files).toContain("CHANGELOG.md");
    expect(files.some((f) => f.startsWith("dist/store/lua/") && f.endsWith(".lua"))).toBe(true);
    expect(files.filter((f) => f.endsWith(".map"))).toEqual([]);
    expect(
      files.filter(
        (f) => !f.startsWith("dist/") && !/^[A-Z]+[A-Z.]*(\.md)?$|^package\.json$/.test(f),
      ),
    ).toEqual([]);
    const installed = readdirSync(join(project, "node_modules"));
    // Production dependencies only: no test runner, compiler or linter came along.
    for (const dev of ["vitest", "typescript", "eslint", "tsx"])
      expect(installed).not.toContain(dev);
  });

  it("importing the producer entry loads neither fastify, bull-board nor prom-client", async () => {
    const log = join(work, "resolved.txt");
    writeFileSync(log, "");
    await sh(process.execPath, ["--import", "./register.mjs", "only-producer.mjs"], project, {
      ...process.env,
      RESOLVE_LOG: log,
    });
    const resolved = (await readFile(log, "utf8")).split("\n").filter(Boolean);
    expect(resolved.some((u) => u.includes("/gatepay-refund-worker/dist/producer/index.js"))).toBe(
      true,
    );
    expect(resolved.some((u) => u.includes("/node_modules/bullmq/"))).toBe(true); // the hook sees packages
    for (const pkg of SERVER_PACKAGES) {
      expect(resolved.filter((u) => u.includes(`/node_modules/${pkg}`))).toEqual([]);
    }
  });

  it("the types resolve for a NodeNext TypeScript consumer", async () => {
    await sh(
      process.execPath,
      [
        join(REPO, "node_modules/typescript/bin/tsc"),
        "--noEmit",
        "--strict",
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2023",
        "--skipLibCheck",
        "--types",
        "node",
        "--typeRoots",
        join(REPO, "node_modules/@types"),
        "typed.ts",
      ],
      project,
    );
  });

  for (const [label, script] of [
    ["ESM import", "esm.mjs"],
    ["require()", "cjs.cjs"],
  ] as const) {
    it(`${label}: enqueues a refund through the installed package and reads it back final`, async () => {
      const p = await startPipeline({ name: `pkg-${script}` });
      const id = `PKG-${script.replace(/\W/g, "")}`;
      const prepayId = "880000000000000001"; // numeric-looking: stays a string
      p.sandbox.seedOrders({ prepayId, amount: "100", currency: "USDT", kind: "order" });
      const { stdout } = await sh(process.execPath, [script], project, {
        PATH: process.env["PATH"] ?? "",
        REDIS_URL: redisUrl(),
        PREFIX: p.prefix,
        REFUND_ID: id,
        PREPAY_ID: prepayId,
      });
      const out = JSON.parse(stdout) as { record: RefundRecord; extra: Record<string, unknown> };
      expect(out.record).toMatchObject({
        refundRequestId: id,
        state: "succeeded",
        request: { prepayId, refundAmount: "12.30" },
      });
      expect(await p.producer.getRefund(id)).toEqual(out.record);
      expect(p.sandbox.ledger.refundsFor(id)).toHaveLength(1);
      if (script === "esm.mjs") {
        expect(out.extra).toEqual({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
      } else {
        expect(out.extra["api"]).toEqual({
          startSandbox: "function",
          startRefundWorkers: "function",
          startHttpServer: "function",
          GatePayClient: "function",
          version: expect.stringMatching(/^\d+\.\d+\.\d+/),
        });
        for (const n of Object.values(out.extra["kinds"] as Record<string, number>)) {
          expect(n).toBeGreaterThan(0);
        }
      }
    });
  }
});
