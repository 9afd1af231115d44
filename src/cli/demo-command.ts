/**
 * `gatepay-refunds demo`: the main job on embedded defaults (see ./demo/run-demo.ts).
 * Exit 0 when every check held; 1 otherwise.
 */
import type { Command } from "commander";
import { runDemo } from "./demo/run-demo.js";
import { integerOption } from "./option-parsers.js";
import { CliExit, EXIT_CODES, type CliIo } from "./output.js";
import { listenForStopSignal } from "./shutdown.js";

interface DemoFlags {
  orders?: number;
  keep?: boolean;
}

export function registerDemoCommand(program: Command, io: CliIo): void {
  program
    .command("demo")
    .description(
      "run the whole pipeline on this machine: GatePay sandbox, worker, HTTP server and a sample batch, with live progress and a summary",
    )
    .option(
      "--orders <n>",
      "direct-payment orders in the sample batch (default 180)",
      integerOption(3, 20_000),
    )
    .option(
      "--keep",
      "after the batch, keep the sandbox, worker and console running (Ctrl-C stops) and the Redis keys",
    )
    .action(async (flags: DemoFlags) => {
      const stop = flags.keep ? listenForStopSignal(io) : undefined;
      try {
        const ok = await runDemo(io, {
          ...(flags.orders === undefined ? {} : { directOrders: flags.orders }),
          ...(stop ? { keep: true, untilStopped: stop.received } : {}),
        });
        if (!ok) throw new CliExit(EXIT_CODES.failure, "the demo failed a check");
      } finally {
        stop?.dispose();
      }
    });
}
