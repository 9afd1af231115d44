/**
 * Writing CSV: the one place that quotes cells (batch reports, sample and benchmark batch
 * files). Reading CSV is csv-parse's job (producer/batch/read-csv.ts).
 *
 * Cells are also defused for spreadsheets: a report is opened in Excel, LibreOffice or
 * Google Sheets by operators, and a cell that starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return is read there as a formula (OWASP "CSV injection"): a `refundReason`
 * or an id from an untrusted file could run `=HYPERLINK(…)` or worse on the operator's
 * machine. Such a cell gets a leading `'`, which spreadsheets show as text and hide.
 * Amounts are positive decimals, so `12.50` stays exactly as it is; a negative-looking
 * value is never a valid amount, and shows as `'-1.50`.
 */

/** First characters that make a spreadsheet read a cell as a formula. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One cell: a cell that a spreadsheet would read as a formula gets a leading `'`; then
 * RFC 4180 quoting, a cell with a comma, quote or line break is quoted.
 */
export function csvCell(value: string | number | undefined): string {
  const raw = value === undefined ? "" : String(value);
  const s = FORMULA_START.test(raw) ? `'${raw}` : raw;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One CSV line of `values` (no line break); `undefined` is an empty cell. */
export function csvLine(values: readonly (string | number | undefined)[]): string {
  return values.map(csvCell).join(",");
}
