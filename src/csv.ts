/**
 * Writing CSV: the one place that quotes cells (batch reports, sample and benchmark batch
 * files). Reading CSV is csv-parse's job (producer/batch/read-csv.ts).
 */

/** One cell: RFC 4180 quoting, a cell with a comma, quote or line break is quoted. */
export function csvCell(value: string | number | undefined): string {
  const s = value === undefined ? "" : String(value);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line of `values` (no line break); `undefined` is an empty cell. */
export function csvLine(values: readonly (string | number | undefined)[]): string {
  return values.map(csvCell).join(",");
}
