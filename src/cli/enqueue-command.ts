/**
 * `gatepay-refunds enqueue`: one refund from flags or `--input '{…}'` (`--input -` reads
 * it from standard input), through the same validation and idempotency as the library.
 * Prints the refund record as JSON.
 *
 * `--json` means "print JSON" in every command. Up to 0.1.0 `enqueue --json '{…}'` took
 * the request itself; that use now ends with exit 2 and a message naming `--input`, so an
 * old script fails loudly rather than enqueueing something else.
 */
import type { Command } from "commander";
import { loadConfig } from "../config.js";
import { OverRefundError } from "../domain/errors.js";
import { parseJsonInput } from "../domain/json-input.js";
import { CliExit, EXIT_CODES, printJson, type CliIo } from "./output.js";
import { withProducer } from "./with-producer.js";

/** Flag → request field. Amounts and ids stay the strings the user typed. */
const FIELD_FLAGS = [
  ["--refund-request-id <id>", "refundRequestId", "idempotency key, 1-32 of [A-Za-z0-9_-]"],
  ["--prepay-id <id>", "prepayId", "GatePay order id (prepayId)"],
  ["--refund-amount <amount>", "refundAmount", 'order refunds: amount, e.g. "10.50"'],
  ["--refund-reason <text>", "refundReason", "reason shown to the payer (optional)"],
  ["--on-behalf-of <subAccount>", "onBehalfOf", "institution mode: sub-account (optional)"],
  [
    "--order-amount <amount>",
    "orderAmount",
    "the order's total: checks this refund before sending",
  ],
  ["--kind <kind>", "kind", "order (default) or convert"],
  ["--refund-order-currency <cur>", "refundOrderCurrency", "convert refunds: order currency"],
  ["--refund-order-amount <amount>", "refundOrderAmount", "convert refunds: amount in it"],
  ["--refund-pay-currency <cur>", "refundPayCurrency", "convert refunds: currency paid in"],
  ["--refund-pay-amount <amount>", "refundPayAmount", "convert refunds: amount in it"],
  ["--receiver-id <id>", "receiverId", "convert refunds: Gate user id receiving it"],
] as const;

type FieldName = (typeof FIELD_FLAGS)[number][1];

type EnqueueFlags = Partial<Record<FieldName, string>> & { input?: string; json?: boolean };

/** Largest request `--input -` reads from standard input, bytes (as `POST /refunds`). */
export const ENQUEUE_STDIN_LIMIT_BYTES = 64 * 1024;

/** Registers `enqueue` on `program`. */
export function registerEnqueueCommand(program: Command, io: CliIo): void {
  const cmd = program
    .command("enqueue")
    .description(
      "enqueue one refund from flags or --input; prints the refund record as JSON " +
        "(exit 0 created or already there, 2 invalid, 3 id reused, 4 over-refund)",
    )
    // Stray arguments are reported by runEnqueue, which can tell an old `--json '{…}'`.
    .allowExcessArguments(true);
  for (const [flags, , description] of FIELD_FLAGS) cmd.option(flags, description);
  cmd
    .option(
      "--input <object>",
      "the whole request as one JSON object instead of field flags; - reads it from stdin",
    )
    .option("--json", "print the refund record as JSON (the default output)")
    .action((flags: EnqueueFlags, command: Command) => runEnqueue(flags, command.args, io));
}

async function runEnqueue(flags: EnqueueFlags, args: readonly string[], io: CliIo) {
  if (args.length > 0) throw strayArguments(args, flags);
  const input = await requestInput(flags);
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

/** The usage error for arguments `enqueue` does not take. */
function strayArguments(args: readonly string[], flags: EnqueueFlags): CliExit {
  if (flags.json === true) {
    return new CliExit(
      EXIT_CODES.usage,
      "--json no longer takes the request: pass it with --input '{…}' (or --input - to " +
        "read it from stdin); --json only asks for JSON output",
    );
  }
  return new CliExit(EXIT_CODES.usage, `enqueue takes no arguments (got '${args[0]}')`);
}

/** The request object from `--input` or from the field flags (not both). */
async function requestInput(flags: EnqueueFlags): Promise<unknown> {
  const fields: Record<string, string> = {};
  for (const [, name] of FIELD_FLAGS) {
    const value = flags[name];
    if (value !== undefined) fields[name] = value;
  }
  if (flags.input === undefined) return fields;
  if (Object.keys(fields).length > 0) {
    throw new CliExit(EXIT_CODES.usage, "use either --input or the field flags, not both");
  }
  const source = flags.input === "-" ? await readStdin() : flags.input;
  // __proto__ / constructor / prototype keys are refused before validation reads them.
  const parsed = parseJsonInput(source);
  if (parsed.ok) return parsed.value;
  const { path, message } = parsed.issue;
  throw new CliExit(EXIT_CODES.usage, `--input: ${path === "" ? "" : `${path}: `}${message}`);
}

/** Standard input as text; stops reading past {@link ENQUEUE_STDIN_LIMIT_BYTES}. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes > ENQUEUE_STDIN_LIMIT_BYTES) {
      throw new CliExit(
        EXIT_CODES.usage,
        `--input -: more than ${ENQUEUE_STDIN_LIMIT_BYTES} bytes on standard input`,
      );
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}
