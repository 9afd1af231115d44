/**
 * The layer check (`npm run lint:layers`, .dependency-cruiser.cjs) must fail on a
 * violation, not just pass on a clean tree: run the same rules over a fixture tree that
 * breaks two of them and over the real tree.
 */
import { execFile } from "node:child_process";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const depcruise = resolve(root, "node_modules/.bin/depcruise");
const config = resolve(root, ".dependency-cruiser.cjs");

async function cruise(cwd: string, args: string[]) {
  try {
    const { stdout } = await run(depcruise, [...args, "--config", config, "--output-type", "err"], {
      cwd,
    });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string };
    return { code: e.code, out: e.stdout };
  }
}

describe("layer rules", () => {
  it("fail on domain importing store and on the client importing BullMQ", async () => {
    const r = await cruise(resolve(root, "test/fixtures/layers"), ["src"]);
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("layer-domain: src/domain/breaks-layers.ts → src/store/keys.ts");
    expect(r.out).toMatch(/no-queues-below-jobs: src\/gatepay\/uses-bullmq\.ts → .*bullmq/);
  }, 60_000);

  it("pass on the project's own tree", async () => {
    const r = await cruise(root, ["src", "bench", "test", "--exclude", "^test/fixtures/layers/"]);
    expect(r.out).toContain("no dependency violations found");
    expect(r.code).toBe(0);
  }, 60_000);
});
