/**
 * Text for a terminal, from data the CLI does not control: a refund's `refundReason`
 * (any caller's string), GatePay's `failReason`, batch file cells, error messages that
 * quote them. A terminal obeys what it is sent, so an escape sequence in a record could
 * rewrite the screen (`ESC[2J`), retitle the window or write the clipboard (OSC 0/52),
 * hide text, or forge a line (`ok\rFAILED`). Everything the CLI writes for people goes
 * through {@link terminalText} (the `processIo` seam, and `status`'s summary itself);
 * JSON goes through {@link terminalJson}, which keeps the data exact.
 */

/**
 * Escape sequences, whole: CSI (`ESC [` or 8-bit `0x9b`, parameters, final byte); OSC,
 * DCS, SOS, PM and APC strings up to their terminator (BEL, `ESC \` or 8-bit ST); and
 * two-character `ESC x` sequences (with intermediates).
 */
const ESCAPE_SEQUENCE = new RegExp(
  [
    "(?:\\x1b\\[|\\x9b)[0-?]*[ -/]*[@-~]",
    "(?:\\x1b[\\]PX^_]|[\\x90\\x98\\x9d\\x9e\\x9f])[^\\x07\\x1b\\x9c]*(?:\\x07|\\x1b\\\\|\\x9c)",
    "\\x1b[ -/]*[0-~]",
  ].join("|"),
  "g",
);

/**
 * Control characters left once sequences are gone: C0 except tab and line feed
 * (carriage return included: it overwrites the line), DEL, C1, and the Unicode
 * bidirectional overrides and isolates (they reorder what is shown, "Trojan Source").
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** What a removed control character shows as: visible, so tampering is noticed. */
export const REPLACEMENT_CHARACTER = "\ufffd";

/**
 * `text` safe to print on a terminal: escape sequences removed whole, every other
 * control character (but tab and line feed) shown as U+FFFD.
 */
export function terminalText(text: string): string {
  return text.replace(ESCAPE_SEQUENCE, "").replace(CONTROL, REPLACEMENT_CHARACTER);
}

/**
 * `JSON.stringify(value, null, 2)` safe for a terminal without changing the data:
 * JSON already escapes C0 characters; DEL, C1 and the bidirectional controls are
 * written as `\u` escapes too, which any JSON parser reads back as the same string.
 */
export function terminalJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
