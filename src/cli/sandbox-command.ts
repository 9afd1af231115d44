/**
 * `gatepay-refunds sandbox`: the GatePay simulator as a process, for local runs and demos.
 * Prints its URL and credentials hint, serves until SIGTERM or SIGINT, then closes.
 *
 * Credentials: `--client-id` / `--secret-key`, else `GATEPAY_CLIENT_ID` /
 * `GATEPAY_SECRET_KEY` from the environment, else a fixed demo pair that is printed at
 * start. A secret the user supplied is never printed. The environment is read through
 * `loadConfig`, so an invalid variable (even one the sandbox does not use) is reported
 * like anywhere else: one line per variable, exit 2.
 */
import { readFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import { loadConfig } from "../config.js";
import { startSandbox, type Sandbox } from "../sandbox/start-sandbox.js";
import { DUPLICATE_MODES, type DuplicateMode } from "../sandbox/ledger.js";
import { DEMO_CLIENT_ID, DEMO_SECRET_KEY } from "../sandbox/fixtures/demo-credentials.js";
import { demoOrders } from "../sandbox/fixtures/demo-orders.js";
import type { SeedOrder } from "../sandbox/seed-order.js";
import type { FaultConfig } from "../sandbox/faults.js";
import type { SandboxOptions } from "../sandbox/options.js";
import { addFaultFlag } from "./fault-flag.js";
import { httpUrlOption, integerOption, ratioOption } from "./option-parsers.js";
import { CliExit, EXIT_CODES, type CliIo } from "./output.js";
import { listenForStopSignal } from "./shutdown.js";

/** Default port of `gatepay-refunds sandbox`. */
export const SANDBOX_DEFAULT_PORT = 8090;

interface SandboxFlags {
  port: number;
  host: string;
  clientId?: string;
  secretKey?: string;
  settleDelayMs?: number;
  failureRatio?: number;
  duplicateMode?: DuplicateMode;
  seed?: number;
  webhookUrl?: string;
  webhookSchedule?: "compressed" | "gatepay";
  fault?: FaultConfig;
  orders?: string;
  seedOrders?: number;
}

/** Registers `sandbox` on `program`. */
export function registerSandboxCommand(program: Command, io: CliIo): void {
  program
    .command("sandbox")
    .description("run the GatePay simulator until SIGTERM/SIGINT")
    .option("--port <port>", "port to listen on (0 = any free port)", integerOption(0, 65_535))
    .option("--host <host>", "address to bind", "127.0.0.1")
    .option("--client-id <id>", "accepted ClientId (default GATEPAY_CLIENT_ID, else a demo id)")
    .option(
      "--secret-key <secret>",
      "Payment API Secret requests must be signed with (default GATEPAY_SECRET_KEY, else a demo " +
        "secret; prefer the variable: command lines are visible to other users)",
    )
    .option(
      "--settle-delay-ms <ms>",
      'acceptance to settlement, ms (default 1000; "never" = stay in progress)',
      settleDelayOption,
    )
    .option("--failure-ratio <ratio>", "ratio of refunds that settle as failed (0-1)", ratioOption)
    .addOption(
      new Option("--duplicate-mode <mode>", "answer to a re-posted refundRequestId").choices(
        DUPLICATE_MODES,
      ),
    )
    .option(
      "--seed <n>",
      "seed of every random decision",
      integerOption(-2_147_483_648, 2_147_483_647),
    )
    .option("--webhook-url <url>", "where to send PAY_REFUND notifications", httpUrlOption)
    .addOption(
      new Option("--webhook-schedule <schedule>", "webhook retry delays").choices([
        "compressed",
        "gatepay",
      ]),
    )
    .option(
      "--fault <op:key=value>",
      "inject faults, repeatable: op is default, orderRefund, convertRefund, refundDetails or " +
        "refundQueryV1; key a ratio (http500, http429, dropBefore, dropAfter, slowAfter) or " +
        "ms (latencyMs, latencyJitterMs, slowAfterMs, detailsLagMs); e.g. orderRefund:http500=0.1",
      addFaultFlag,
    )
    .option(
      "--orders <file>",
      "JSON array of paid orders to seed ({prepayId, amount, currency, kind})",
    )
    .option(
      "--seed-orders <n>",
      "seed n demo orders of 100.00 USDT (prepayIds from 9000000000000000001)",
      integerOption(0, 100_000),
    )
    .action((flags: SandboxFlags) => runSandbox(flags, io));
}

function settleDelayOption(value: string): number {
  if (value === "never") return Number.POSITIVE_INFINITY;
  return integerOption(0, 2_147_483_647)(value);
}

async function runSandbox(flags: SandboxFlags, io: CliIo): Promise<void> {
  const credentials = sandboxCredentials(flags, io);
  const orders = [...(await readOrdersFile(flags.orders)), ...demoOrders(flags.seedOrders ?? 0)];
  const options: SandboxOptions = {
    port: flags.port ?? SANDBOX_DEFAULT_PORT,
    host: flags.host,
    clientId: credentials.clientId,
    secretKey: credentials.secretKey,
    orders,
  };
  if (flags.settleDelayMs !== undefined) options.settleDelayMs = flags.settleDelayMs;
  if (flags.failureRatio !== undefined) options.failureRatio = flags.failureRatio;
  if (flags.duplicateMode !== undefined) options.duplicateMode = flags.duplicateMode;
  if (flags.seed !== undefined) options.seed = flags.seed;
  if (flags.webhookUrl !== undefined) options.webhookUrl = flags.webhookUrl;
  if (flags.webhookSchedule !== undefined) options.webhook = { schedule: flags.webhookSchedule };
  if (flags.fault !== undefined) options.faults = flags.fault;

  const stop = listenForStopSignal(io);
  try {
    const sandbox = await start(options);
    try {
      printBanner(io, sandbox, options, credentials.demo);
      const signal = await stop.received;
      io.out(`${signal}: stopping the sandbox`);
    } finally {
      await sandbox.close();
    }
  } finally {
    stop.dispose();
  }
}

/** Flags, then the environment (through the config loader), then the demo pair. */
function sandboxCredentials(
  flags: SandboxFlags,
  io: CliIo,
): { clientId: string; secretKey: string; demo: boolean } {
  const { gatepay } = loadConfig(io.env);
  const clientId = flags.clientId ?? gatepay.clientId;
  const secretKey = flags.secretKey ?? gatepay.secretKey?.reveal();
  if (clientId === undefined && secretKey === undefined) {
    return { clientId: DEMO_CLIENT_ID, secretKey: DEMO_SECRET_KEY, demo: true };
  }
  if (clientId === undefined || secretKey === undefined) {
    throw new CliExit(
      EXIT_CODES.usage,
      clientId === undefined
        ? "a secret key was given but no client id: pass --client-id or set GATEPAY_CLIENT_ID"
        : "a client id was given but no secret key: pass --secret-key or set GATEPAY_SECRET_KEY",
    );
  }
  if (clientId === "" || secretKey === "") {
    throw new CliExit(EXIT_CODES.usage, "--client-id and --secret-key must not be empty");
  }
  return { clientId, secretKey, demo: false };
}

async function readOrdersFile(path: string | undefined): Promise<SeedOrder[]> {
  if (path === undefined) return [];
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliExit(EXIT_CODES.usage, `--orders: cannot read ${path}: ${reason}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliExit(EXIT_CODES.usage, `--orders: ${path} is not valid JSON (${reason})`);
  }
  if (!Array.isArray(parsed)) {
    throw new CliExit(EXIT_CODES.usage, `--orders: ${path} must hold a JSON array of orders`);
  }
  // Each order is checked by the sandbox's ledger when it starts.
  return parsed as SeedOrder[];
}

async function start(options: SandboxOptions): Promise<Sandbox> {
  try {
    return await startSandbox(options);
  } catch (err) {
    // The sandbox checks its options (and seed orders) before listening: a RangeError
    // is the user's input.
    if (err instanceof RangeError) throw new CliExit(EXIT_CODES.usage, `sandbox: ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
      throw new CliExit(
        EXIT_CODES.failure,
        `sandbox: cannot listen on ${options.host}:${options.port} (${code})`,
      );
    }
    throw err;
  }
}

function printBanner(io: CliIo, sandbox: Sandbox, options: SandboxOptions, demo: boolean): void {
  const s = sandbox.settings();
  const lines = [`GatePay sandbox listening on ${sandbox.url}`];
  lines.push(
    demo
      ? `  credentials   demo pair: clientId ${DEMO_CLIENT_ID}, secret ${DEMO_SECRET_KEY}`
      : `  credentials   clientId ${options.clientId}, secret as given (not shown)`,
  );
  lines.push(
    `  refunds       settle after ${Number.isFinite(s.settleDelayMs) ? `${s.settleDelayMs} ms` : "never (until settled by hand)"}, ` +
      `failure ratio ${s.failureRatio}, duplicate mode ${s.duplicateMode}`,
  );
  const orders = sandbox.ledger.toJSON().orders;
  if (orders.length > 0) {
    const first = orders[0]?.prepayId ?? "";
    const last = orders.at(-1)?.prepayId ?? "";
    lines.push(
      `  orders        ${orders.length} seeded (${first}${orders.length > 1 ? ` … ${last}` : ""})`,
    );
  }
  lines.push(
    `  webhooks      ${s.webhookUrl === undefined ? "off (no --webhook-url)" : `to ${s.webhookUrl}`}`,
  );
  if (options.faults !== undefined) lines.push(`  faults        ${JSON.stringify(options.faults)}`);
  lines.push(`  admin         ${sandbox.url}/__sandbox/health (also /ledger, /counters, /faults)`);
  if (demo) {
    lines.push(
      "Point a worker at it:",
      `  GATEPAY_BASE_URL=${sandbox.url} GATEPAY_CLIENT_ID=${DEMO_CLIENT_ID} ` +
        `GATEPAY_SECRET_KEY=${DEMO_SECRET_KEY} gatepay-refunds worker`,
    );
  }
  io.out(lines.join("\n"));
}
