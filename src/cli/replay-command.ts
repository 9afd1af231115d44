/**
 * `gatepay-refunds replay ID`: re-drives a `dead` refund (the worker looks GatePay up
 * before any re-send) or a `stuck` one (polled again with a new deadline). Prints the
 * record as JSON.
 */
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { RefundNotFoundError } from "../domain/errors.js";
import { CliExit, EXIT_CODES, printJson, type CliIo } from "./output.js";
import { withProducer } from "./with-producer.js";

const REPLAYABLE: ReadonlySet<string> = new Set(["dead", "stuck"]);

/** Registers `replay` on `program`. */
export function registerReplayCommand(program: Command, io: CliIo): void {
  program
    .command("replay")
    .description("re-drive a dead or stuck refund; prints the refund record as JSON")
    .argument("<refundRequestId>", "the refund's refundRequestId")
    .action(async (id: string) => {
      const config = loadConfig(io.env);
      const record = await withProducer(config, async (producer) => {
        const current = await producer.getRefund(id);
        if (!current) throw new RefundNotFoundError(id);
        // Checked here for a clear message; the store re-checks atomically, so a refund
        // that changes state in between is still refused (by the producer's error).
        if (!REPLAYABLE.has(current.state)) {
          throw new CliExit(
            EXIT_CODES.failure,
            `refund ${id} is ${current.state}: only dead or stuck refunds can be replayed`,
          );
        }
        return producer.replay(id);
      });
      printJson(io, record);
    });
}
