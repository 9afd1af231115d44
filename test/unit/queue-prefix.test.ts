import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import {
  MAX_QUEUE_PREFIX_CHARS,
  normalizeQueuePrefix,
  QueuePrefixError,
} from "../../src/domain/queue-prefix.js";
import { ERROR_CODES } from "../../src/domain/error-codes.js";
import { refundKeys } from "../../src/store/keys.js";

describe("normalizeQueuePrefix: one rule for every entry point", () => {
  it.each([
    ["gatepay", "{gatepay}"],
    ["{gatepay}", "{gatepay}"],
    ["refunds-{eu}", "refunds-{eu}"],
    ["{eu}_refunds", "{eu}_refunds"],
    ["a", "{a}"],
    ["Shop_1-prod", "{Shop_1-prod}"],
  ])("%s → %s, and again gives the same (idempotent)", (input, expected) => {
    expect(normalizeQueuePrefix(input)).toBe(expected);
    expect(normalizeQueuePrefix(normalizeQueuePrefix(input))).toBe(expected);
  });

  it.each([
    ["", /must not be empty/],
    ["gatepay:", /only letters, digits/],
    ["gate pay", /only letters, digits/],
    ["gate*", /only letters, digits/],
    ["{}", /hash tag with something inside/],
    ["{a}{b}", /exactly one/],
    ["{gatepay", /exactly one/],
    ["gatepay}", /exactly one/],
    ["x".repeat(MAX_QUEUE_PREFIX_CHARS + 1), /at most 100 characters/],
  ])("%j is refused with a reason", (input, reason) => {
    let caught: unknown;
    try {
      normalizeQueuePrefix(input);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(QueuePrefixError);
    const err = caught as QueuePrefixError;
    expect(err.message).toMatch(reason);
    expect(err.message).toContain("queue prefix");
    expect(err.code).toBe("CONFIG_INVALID");
    expect(ERROR_CODES[err.code].exitCode).toBe(2);
  });

  it.each([undefined, null, 42, {}])("a non-string %j is refused", (input) => {
    expect(() => normalizeQueuePrefix(input)).toThrow(/must be a string/);
  });

  it("config, the store keys and the library agree for the same input", () => {
    for (const raw of ["gatepay", "{gatepay}", "refunds-{eu}"]) {
      const fromConfig = loadConfig({ QUEUE_PREFIX: raw }).queuePrefix;
      expect(refundKeys(raw).prefix).toBe(fromConfig);
      expect(refundKeys(raw).events).toBe(`${fromConfig}:events`);
      expect(normalizeQueuePrefix(raw)).toBe(fromConfig);
    }
  });

  it("config refuses what the library refuses, with the same reason", () => {
    for (const raw of ["gatepay:", "{}", "{a}{b}"]) {
      const libraryReason = (() => {
        try {
          normalizeQueuePrefix(raw);
        } catch (e) {
          return (e as Error).message.replace(/^queue prefix "[^"]*" /, "");
        }
        return "accepted";
      })();
      expect(() => loadConfig({ QUEUE_PREFIX: raw })).toThrow(libraryReason);
    }
  });
});
