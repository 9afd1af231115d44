/**
 * `gatepay-refunds sandbox` as a child process: it listens, answers its admin routes with
 * the orders and faults it was given, keeps a user's secret to itself, and exits 0 on
 * SIGTERM.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { cliEnv, exitCodeWithin, killAllCli, runCli, spawnCli } from "./cli-process.js";

const URL_LINE = /listening on (http:\/\/127\.0\.0\.1:\d+)/;
let tmp: string | undefined;

afterEach(async () => {
  await killAllCli();
  if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  tmp = undefined;
});

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.json();
}

// Each command is a fresh Node process (about 1-5 s on a loaded 2-core machine).
describe("gatepay-refunds sandbox", { timeout: 90_000 }, () => {
  it("serves until SIGTERM, then exits 0; seeds --orders; never prints the secret", async () => {
    tmp = await mkdtemp(join(tmpdir(), "cli-sandbox-"));
    const ordersFile = join(tmp, "orders.json");
    await writeFile(
      ordersFile,
      JSON.stringify([{ prepayId: "1234567890123456789", amount: "50.00", currency: "USDT" }]),
    );
    const secret = "env-secret-that-must-stay-hidden";
    const proc = spawnCli(
      [
        "sandbox",
        "--port",
        "0",
        "--orders",
        ordersFile,
        "--seed-orders",
        "2",
        "--fault",
        "orderRefund:http500=0.25",
        "--fault",
        "orderRefund:latencyMs=5",
        "--duplicate-mode",
        "reject",
      ],
      cliEnv({ GATEPAY_CLIENT_ID: "env-client", GATEPAY_SECRET_KEY: secret }),
    );
    const [, url] = await proc.waitForStdout(URL_LINE);

    expect(await getJson(`${url}/__sandbox/health`)).toEqual({ status: "ok" });
    const ledger = (await getJson(`${url}/__sandbox/ledger`)) as {
      orders: { prepayId: string; amount: string }[];
    };
    expect(ledger.orders.map((o) => [o.prepayId, o.amount])).toEqual([
      ["1234567890123456789", "50.00"],
      ["9000000000000000001", "100.00"],
      ["9000000000000000002", "100.00"],
    ]);
    expect(await getJson(`${url}/__sandbox/faults`)).toMatchObject({
      faults: { orderRefund: { http500: 0.25, latencyMs: 5 } },
    });
    expect(await getJson(`${url}/__sandbox/config`)).toMatchObject({ duplicateMode: "reject" });
    expect(proc.stdout()).toMatch(/clientId env-client, secret as given \(not shown\)/);

    proc.child.kill("SIGTERM");
    expect(await exitCodeWithin(proc, 10_000)).toBe(0);
    expect(proc.stdout() + proc.stderr()).not.toContain(secret);
    await expect(fetch(`${url}/__sandbox/health`)).rejects.toThrow();
  });

  it("prints the demo credentials when none are given", async () => {
    const proc = spawnCli(["sandbox", "--port", "0"], cliEnv({}));
    await proc.waitForStdout(URL_LINE);
    expect(proc.stdout()).toMatch(
      /demo pair: clientId demo-client, secret demo-secret-sandbox-only/,
    );
    expect(proc.stdout()).toMatch(
      /GATEPAY_BASE_URL=http:\/\/127\.0\.0\.1:\d+ GATEPAY_CLIENT_ID=demo-client/,
    );
    proc.child.kill("SIGINT");
    expect(await exitCodeWithin(proc, 10_000)).toBe(0);
  });

  it("refuses bad options with exit 2", async () => {
    const env = cliEnv({});
    const [fault, op, port, half] = await Promise.all([
      runCli(["sandbox", "--fault", "orderRefund:http500=2"], env),
      runCli(["sandbox", "--fault", "refundEverything:http500=0.1"], env),
      runCli(["sandbox", "--port", "99999"], env),
      runCli(["sandbox", "--client-id", "only-id"], env),
    ]);
    expect(fault.code).toBe(2);
    expect(fault.stderr).toMatch(/--fault.*ratio/);
    expect(op.code).toBe(2);
    expect(op.stderr).toMatch(/unknown operation "refundEverything"/);
    expect(port.code).toBe(2);
    expect(port.stderr).toMatch(/--port.*must be an integer from 0 to 65535/);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/no secret key/);
  });
});
