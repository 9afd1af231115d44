/**
 * `gatepay-refunds status ID`: one refund record, as a summary for people or, with
 * `--json`, the whole record for machines.
 */
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { RefundNotFoundError } from "../domain/errors.js";
import { formatRefund } from "./format-refund.js";
import { printJson, type CliIo } from "./output.js";
import { withProducer } from "./with-producer.js";

/** Registers `status` on `program`. */
export function registerStatusCommand(program: Command, io: CliIo): void {
  program
    .command("status")
    .description("show one refund: state, attempts, amounts, last error, history")
    .argument("<refundRequestId>", "the refund's refundRequestId")
    .option("--json", "print the whole refund record as JSON")
    .action(async (id: string, opts: { json?: boolean }) => {
      const config = loadConfig(io.env);
      const record = await withProducer(config, (producer) => producer.getRefund(id));
      if (!record) throw new RefundNotFoundError(id);
      if (opts.json === true) printJson(io, record);
      else io.out(formatRefund(record));
    });
}
