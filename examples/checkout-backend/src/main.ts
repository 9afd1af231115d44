/**
 * Runs the example backend: `REDIS_URL`, `QUEUE_PREFIX` (the refund service's), `PORT`,
 * `CHECKOUT_KEY_PREFIX` (its own keys; default `checkout`).
 * Prints its URL on stdout and stops on SIGTERM or SIGINT.
 */
import { startCheckoutBackend } from "./checkout-backend.js";

const backend = await startCheckoutBackend({
  redisUrl: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379",
  queuePrefix: process.env["QUEUE_PREFIX"] ?? "gatepay",
  port: Number(process.env["PORT"] ?? "3000"),
  keyPrefix: process.env["CHECKOUT_KEY_PREFIX"] ?? "checkout",
});
process.stdout.write(`checkout backend listening on ${backend.url}\n`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.once(signal, () => {
    backend.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`stop failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  });
}
