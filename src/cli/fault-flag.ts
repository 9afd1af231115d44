/**
 * The sandbox's repeatable `--fault op:key=value` flag, e.g. `--fault orderRefund:http500=0.1`
 * or `--fault default:latencyMs=200`, folded into one {@link FaultConfig}.
 */
import { InvalidArgumentError } from "commander";
import {
  SANDBOX_OPERATIONS,
  validateFaultConfig,
  type FaultConfig,
  type FaultSpec,
} from "../sandbox/faults.js";

const FAULT_FLAG = /^([A-Za-z0-9]+):([A-Za-z0-9]+)=(\d+(?:\.\d+)?)$/;

/** Operations a `--fault` may name: `default` (every operation) or one of the sandbox's. */
export const FAULT_FLAG_OPERATIONS: readonly string[] = ["default", ...SANDBOX_OPERATIONS];

/**
 * Adds one `op:key=value` to `previous` (commander's reducer for a repeatable option).
 * `key` is a {@link FaultSpec} field: a ratio (`http500`, `http429`, `dropBefore`,
 * `dropAfter`, `slowAfter`, 0–1) or a delay in ms (`latencyMs`, `latencyJitterMs`,
 * `slowAfterMs`, `detailsLagMs`). The same key again replaces the earlier value.
 *
 * @throws InvalidArgumentError (a usage error) on a malformed flag, an unknown operation
 *   or key, a value out of range, or ratios of one operation adding up to more than 1.
 */
export function addFaultFlag(value: string, previous: FaultConfig = {}): FaultConfig {
  const m = FAULT_FLAG.exec(value);
  if (!m) {
    throw new InvalidArgumentError(
      "must look like op:key=value, e.g. orderRefund:http500=0.1 or default:latencyMs=200",
    );
  }
  const [, op = "", key = "", num = ""] = m;
  if (!FAULT_FLAG_OPERATIONS.includes(op)) {
    throw new InvalidArgumentError(
      `unknown operation "${op}" (expected ${FAULT_FLAG_OPERATIONS.join(", ")})`,
    );
  }
  const operation = op as keyof FaultConfig;
  const spec: FaultSpec = { ...previous[operation], [key]: Number(num) };
  const next: FaultConfig = { ...previous, [operation]: spec };
  try {
    return validateFaultConfig(next);
  } catch (err) {
    throw new InvalidArgumentError(err instanceof Error ? err.message : String(err));
  }
}
