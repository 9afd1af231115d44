/**
 * `gatepay-refunds enqueue`: one refund from flags or `--json '{…}'`, through the same
 * validation and idempotency as the library. Prints the refund record as JSON.
 */
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { OverRefundError } from "../domain/errors.js";
import { CliExit, EXIT_CODES, printJson, type CliIo } from "./output.js";
import { withProducer } from "./with-producer.js";

/** Flag → request field. Amounts and ids stay the strings the user typed. */
const FIELD_FLAGS = [
  ["--refund-request-id <id>", "refundRequestId", "idempotency key, 1-32 of [A-Za-z0-9_-]"],
  ["--prepay-id <id>", "prepayId", "GatePay order id (prepayId)"],
  ["--refund-amount <amount>", "refundAmount", 'order refunds: amount, e.g. "10.50"'],
  ["--refund-reason <text>", "refundReason", "reason shown to the payer (optional)"],
  ["--on-behalf-of <subAccount>", "onBehalfOf", "institution mode: sub-account (optional)"],
  ["--order-amount <amount>", "orderAmount", "the order's total, caps the over-refund guard"],
  ["--kind <kind>", "kind", "order (default) or convert"],
  ["--refund-order-currency <cur>", "refundOrderCurrency", "convert refunds: order currency"],
  ["--refund-order-amount <amount>", "refundOrderAmount", "convert refunds: amount in it"],
  ["--refund-pay-currency <cur>", "refundPayCurrency", "convert refunds: currency paid in"],
  ["--refund-pay-amount <amount>", "refundPayAmount", "convert refunds: amount in it"],
  ["--receiver-id <id>", "receiverId", "convert refunds: Gate user id receiving it"],
] as const;

type FieldName = (typeof FIELD_FLAGS)[number][1];

type EnqueueFlags = Partial<Record<FieldName, string>> & { json?: string };

/** Registers `enqueue` on `program`. */
export function registerEnqueueCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command("enqueue")
    .description(
      "enqueue one refund from flags or --json; prints the refund record as JSON " +
        "(exit 0 created or already there, 2 invalid, 3 id reused, 4 over-refund)",
    );
  for (const [flags, , description] of FIELD_FLAGS) cmd.option(flags, description);
  cmd
    .option("--json <object>", "the whole request as one JSON object (instead of field flags)")
    .action((flags: EnqueueFlags) => runEnqueue(flags, io));
}

async function runEnqueue(flags: EnqueueFlags, io: CliIo): Promise<void> {
  const input = requestInput(flags);
  const config = loadConfig(io.env);
  await withProducer(config, async (producer) => {
    try {
      const { record, created } = await producer.enqueue(input);
      printJson(io, record);
      if (!created) io.err(`refund ${record.refundRequestId} already exists: unchanged`);
    } catch (err) {
      // The refusal is itself a record (rejected / OVER_REFUND), so show it; reportError
      // then says why and exits 4.
      if (err instanceof OverRefundError) printJson(io, err.record);
      throw err;
    }
  });
}

/** The request object from `--json` or from the field flags (not both). */
function requestInput(flags: EnqueueFlags): unknown {
  const fields: Record<string, string> = {};
  for (const [, name] of FIELD_FLAGS) {
    const value = flags[name];
    if (value !== undefined) fields[name] = value;
  }
  if (flags.json === undefined) return fields;
  if (Object.keys(fields).length > 0) {
    throw new CliExit(EXIT_CODES.usage, "use either --json or the field flags, not both");
  }
  try {
    return JSON.parse(flags.json) as unknown;
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CliExit(EXIT_CODES.usage, `--json: not valid JSON (${reason})`);
  }
}
