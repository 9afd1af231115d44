/**
 * The JSONL reader: one JSON object per line, each a refund. A line that is not a JSON
 * object comes back as a row with an issue, so the other rows go ahead.
 */
import { parseJsonInput } from "../../domain/json-input.js";
import type { BatchRow } from "./batch-row.js";
import { utf8LineBlocks, type BatchByteSource } from "./line-blocks.js";

/**
 * Streams the rows of a JSONL file, in file order, skipping blank lines: the rows of each
 * block of lines as one array (never empty), one await per block rather than per row.
 */
export async function* readJsonlBlocks(source: BatchByteSource): AsyncGenerator<BatchRow[]> {
  let first = true;
  for await (const block of utf8LineBlocks(source)) {
    let text = block.bytes.toString("utf8");
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    first = false;
    const lines = text.split("\n");
    // A block ends with a newline except the file's last one: drop the empty tail.
    if (lines[lines.length - 1] === "") lines.pop();
    const rows: BatchRow[] = [];
    for (let i = 0; i < lines.length; i++) {
      const raw = lines[i]!.trim();
      if (raw === "") continue;
      rows.push(parseJsonLine(raw, block.line + i));
    }
    if (rows.length > 0) yield rows;
  }
}

function parseJsonLine(raw: string, line: number): BatchRow {
  // __proto__ / constructor / prototype keys are refused here, before validation reads.
  const parsed = parseJsonInput(raw);
  if (!parsed.ok) return { line, fields: {}, issues: [parsed.issue] };
  const value = parsed.value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      line,
      fields: {},
      issues: [{ path: "", message: "must be a JSON object, one refund per line" }],
    };
  }
  return { line, fields: value as Record<string, unknown> };
}
