/**
 * Child-process entry: runs the GatePay sandbox in a process of its own, so that in the
 * lifecycle benchmarks the worker process under measurement does not also pay for the
 * simulated GatePay. Sends `{ url }` to the parent once listening; the parent drives it
 * through the sandbox's admin routes and ends it with a `close` message (or SIGTERM).
 */
import { startSandbox } from "../src/sandbox/index.js";
import { BENCH_CLIENT_ID, BENCH_SECRET } from "./refunds.js";

const sandbox = await startSandbox({
  clientId: BENCH_CLIENT_ID,
  secretKey: BENCH_SECRET,
  settleDelayMs: Number(process.env["BENCH_SANDBOX_SETTLE_MS"] ?? "0"),
});

const stop = async (): Promise<void> => {
  await sandbox.close();
  process.exit(0);
};
process.on("message", (m: { op?: string }) => {
  if (m.op === "close") void stop();
});
process.on("SIGTERM", () => void stop());
process.on("disconnect", () => void stop());
process.send?.({ url: sandbox.url });
