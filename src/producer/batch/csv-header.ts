/**
 * A CSV batch's header row and how a record lines up with it: the header must name known
 * columns (a close miss gets a "did you mean"), each once, and the required ones; a
 * record with more cells than the header has columns is a row problem, not a file one.
 */
import { BATCH_COLUMNS, REQUIRED_BATCH_COLUMNS, type BatchRow } from "./batch-row.js";
import { BatchFileError } from "./batch-file-error.js";

const KNOWN_COLUMNS: ReadonlySet<string> = new Set(BATCH_COLUMNS);

/**
 * The header's columns.
 *
 * @throws BatchFileError (`header`) naming the unknown, repeated or missing columns.
 */
export function checkHeader(cells: string[], line: number): string[] {
  const unknown = cells.filter((c) => !KNOWN_COLUMNS.has(c));
  if (unknown.length === cells.length) {
    const shown = cells.slice(0, 4).join(",").slice(0, 80);
    throw new BatchFileError(
      "header",
      `no header row: the first row ("${shown}") names no known column; ` +
        `a CSV batch starts with a header such as ${REQUIRED_BATCH_COLUMNS.join(",")},refundAmount`,
      line,
    );
  }
  if (unknown.length > 0) {
    const described = unknown.map((c) => {
      if (c === "") return `(a column with no name, position ${cells.indexOf(c) + 1})`;
      const near = BATCH_COLUMNS.find((k) => k.toLowerCase() === c.toLowerCase());
      return near === undefined ? `"${c}"` : `"${c}" (did you mean ${near}?)`;
    });
    throw new BatchFileError(
      "header",
      `unknown column(s): ${described.join(", ")}; allowed: ${BATCH_COLUMNS.join(", ")}`,
      line,
    );
  }
  const repeated = cells.filter((c, i) => cells.indexOf(c) !== i);
  if (repeated.length > 0) {
    throw new BatchFileError(
      "header",
      `column(s) named twice: ${[...new Set(repeated)].join(", ")}`,
      line,
    );
  }
  const missing = REQUIRED_BATCH_COLUMNS.filter((c) => !cells.includes(c));
  if (missing.length > 0) {
    throw new BatchFileError("header", `missing required column(s): ${missing.join(", ")}`, line);
  }
  return cells;
}

/** One record as a row: cells by column (missing trailing cells empty). */
export function csvRow(header: string[], cells: string[], line: number): BatchRow {
  const fields: Record<string, unknown> = {};
  for (let i = 0; i < header.length; i++) fields[header[i]!] = cells[i] ?? "";
  // Missing trailing cells read as empty (absent) fields; extra cells with content mean
  // the row does not line up with the header, so none of its cells can be trusted.
  let extra = false;
  for (let i = header.length; i < cells.length && !extra; i++) extra = cells[i] !== "";
  if (!extra) return { line, fields };
  return {
    line,
    fields,
    issues: [
      {
        path: "",
        message: `has ${cells.length} cells but the header has ${header.length} columns (an unquoted comma?)`,
      },
    ],
  };
}
