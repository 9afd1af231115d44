/**
 * Tests that need a program from Debian's packages (chromium, valkey-server): on a
 * developer's machine without it they skip, saying why; in CI (`CI` set, as `.ci/run`
 * exports), where it was installed on purpose, its absence fails the test instead.
 */
import { existsSync } from "node:fs";

export function requireSystemBinary(
  ctx: { skip(note?: string): void },
  path: string,
  install: string,
): void {
  if (existsSync(path)) return;
  if (process.env["CI"]) throw new Error(`${path} is missing: .ci/run should have installed it`);
  ctx.skip(`${path} is not installed (${install}); test skipped`);
}
