/**
 * Terminal control sequences from records never reach the terminal (issue 13 item 12):
 * the filter itself, `status`'s summary, and JSON output that stays exact.
 */
import { describe, expect, it } from "vitest";
import { formatRefund } from "../../src/cli/format-refund.js";
import { printJson, type CliIo } from "../../src/cli/output.js";
import { terminalJson, terminalText } from "../../src/cli/terminal-text.js";
import type { RefundRecord } from "../../src/domain/refund-record.js";

/** Hostile text: clear screen, window title, clipboard write (OSC 52), 8-bit CSI, a forged line. */
const HOSTILE =
  "damaged\x1b[2J\x1b[H\x1b]0;pwned\x07\x1b]52;c;cm0gLXJmIH4=\x1b\\\x9b31mred\x1bc ok\rFAILED\x00\x7f\u202egnp.exe";

// Anything a terminal acts on: ESC, C0 but tab/LF, DEL, C1, bidi overrides.
// eslint-disable-next-line no-control-regex
const ACTIVE = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

function record(refundReason: string): RefundRecord {
  const at = "2026-01-01T00:00:00.000Z";
  return {
    refundRequestId: "r1",
    kind: "order",
    state: "failed",
    attempts: 1,
    request: {
      kind: "order",
      refundRequestId: "r1",
      prepayId: "9001",
      refundAmount: "1.00",
      refundReason,
    },
    gatepay: { source: "poll", status: "FAIL", failReason: `gate says\x1b[31m no\x07`, at },
    createdAt: at,
    updatedAt: at,
    history: [{ at, state: "queued", event: "enqueued" }],
  } as unknown as RefundRecord;
}

describe("terminalText", () => {
  it("removes escape sequences whole and shows other controls as U+FFFD", () => {
    const shown = terminalText(HOSTILE);
    expect(shown).not.toMatch(ACTIVE);
    expect(shown).toBe("damagedred ok\ufffdFAILED\ufffd\ufffd\ufffdgnp.exe");
    expect(shown).not.toContain("pwned");
    expect(shown).not.toContain("cm0gLXJmIH4=");
  });

  it("keeps ordinary text, tabs, line feeds and non-ASCII letters", () => {
    const text = "line one\tcol\nline two: café 退款 €12.50";
    expect(terminalText(text)).toBe(text);
  });
});

describe("status output", () => {
  it("shows refundReason and GatePay's failReason without any control sequence", () => {
    const shown = formatRefund(record(HOSTILE));
    expect(shown).not.toMatch(ACTIVE);
    expect(shown).toMatch(/^reason\s+damagedred ok\ufffdFAILED/m);
    expect(shown).toContain('reason "gate says no\ufffd"');
  });

  it("--json escapes them, so the data reads back exactly", () => {
    const rec = record(HOSTILE);
    const text = terminalJson(rec);
    expect(text).not.toMatch(ACTIVE);
    expect(JSON.parse(text)).toEqual(rec);
    const out: string[] = [];
    const io: CliIo = { env: {}, out: (t) => out.push(t), err: () => undefined };
    printJson(io, rec);
    expect(out[0]).not.toMatch(ACTIVE);
    expect(JSON.parse(out[0]!)).toEqual(rec);
  });
});
