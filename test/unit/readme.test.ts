/**
 * The README must stay true: its configuration table against the config schema, its
 * errors table against the failure classifier, its commands against package.json.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_ENV_VARS } from "../../src/config.js";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

function configTableRows(): Map<string, string> {
  const start = readme.indexOf("<!-- config-table:start -->");
  const end = readme.indexOf("<!-- config-table:end -->");
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  const rows = new Map<string, string>();
  for (const line of readme.slice(start, end).split("\n")) {
    const cells = line.split("|").map((c) => c.trim());
    const name = /^`([A-Z_]+)`$/.exec(cells[1] ?? "")?.[1];
    if (name) rows.set(name, cells[2] ?? "");
  }
  return rows;
}

describe("README", () => {
  it("lists every environment variable the config accepts, with its default, and no others", () => {
    const rows = configTableRows();
    expect([...rows.keys()].sort()).toEqual(CONFIG_ENV_VARS.map((v) => v.name).sort());
    for (const v of CONFIG_ENV_VARS) {
      const cell = rows.get(v.name);
      expect(cell, v.name).toBe(v.default === undefined ? "(unset)" : `\`${v.default}\``);
    }
  });

  it("names in its errors table every GatePay code the failure classifier knows", () => {
    const source = readFileSync(
      new URL("../../src/gatepay/classify-failure.ts", import.meta.url),
      "utf8",
    );
    const codes = new Set(source.match(/"[345]\d{5}"/g)?.map((c) => c.slice(1, -1)) ?? []);
    expect(codes.size).toBeGreaterThan(15);
    const section = readme.slice(readme.indexOf("## Errors and retries"));
    for (const code of codes) {
      const inRange = /`500204`–`500208`/.test(section) && /^5002(0[4-8])$/.test(code);
      expect(section.includes(`\`${code}\``) || inRange, `code ${code} in README`).toBe(true);
    }
  });

  it("gives commands that exist in package.json", () => {
    const pkg = JSON.parse(
      readFileSync(new URL("../../package.json", import.meta.url), "utf8"),
    ) as {
      scripts: Record<string, string>;
    };
    for (const [, script] of readme.matchAll(/npm run ([a-z:]+)/g)) {
      expect(pkg.scripts, `npm run ${script}`).toHaveProperty([script!]);
    }
  });
});
