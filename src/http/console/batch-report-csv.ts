/**
 * A batch's report as the console downloads it: the batch command's report columns
 * (producer/batch/report-rows.ts), one row per refund of the batch as it is now, then the
 * rows of the last run that made no refund, with their line numbers. Refund rows have no
 * line: the console has the records, not the file.
 */
import { csvLine } from "../../csv.js";
import type { RefundProducer } from "../../producer/enqueue-refund.js";
import type { JournalEntry } from "../../producer/batch/journal.js";
import { BATCH_REPORT_COLUMNS, reportRows } from "../../producer/batch/report-rows.js";
import type { ConsoleQueries } from "../../store/console-queries.js";

/** The CSV text (header first, CRLF line ends). */
export async function batchReportCsv(
  producer: RefundProducer,
  queries: ConsoleQueries,
  batchId: string,
): Promise<string> {
  const [records, problems] = await Promise.all([
    queries.batchRecords(batchId),
    queries.batchProblems(batchId),
  ]);
  const entries: JournalEntry[] = [
    ...records.map((r): JournalEntry => ({ l: 0, o: "created", id: r.refundRequestId })),
    ...problems.map((p): JournalEntry => {
      const e: JournalEntry = {
        l: p.line,
        o: p.kind as JournalEntry["o"],
        c: p.code,
        m: p.message,
      };
      if (p.refundRequestId !== undefined) e.id = p.refundRequestId;
      return e;
    }),
  ];
  const rows = await reportRows(producer, entries);
  const lines = [csvLine(BATCH_REPORT_COLUMNS)];
  for (const row of rows) {
    lines.push(
      csvLine(
        BATCH_REPORT_COLUMNS.map((c) => (c === "line" && row.line === 0 ? undefined : row[c])),
      ),
    );
  }
  return `${lines.join("\r\n")}\r\n`;
}
