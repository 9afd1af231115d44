/**
 * The `--report` path, checked before anything is enqueued: a report is written only at
 * the end of a run (after a `--wait` that may last hours), so a path that cannot be
 * written, or that would overwrite the batch file itself, must be refused up front.
 */
import { randomBytes } from "node:crypto";
import { open, realpath, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { BatchFileError } from "./batch-file-error.js";
import { batchReportFormat } from "./batch-report.js";

/**
 * Checks that `reportPath` has a known report format, is not the input file (by path
 * after symbolic links, or the same file through a hard link), is not a directory, and
 * that its directory takes a new file: a probe file is created there and removed (the
 * report itself is written to a temporary file in the same directory and renamed).
 *
 * @param inputPath the batch file; the report may never replace it.
 * @throws BatchFileError (`format` or `io`) saying what is wrong with the path.
 */
export async function checkReportPath(reportPath: string, inputPath: string): Promise<void> {
  batchReportFormat(reportPath);
  const report = resolve(reportPath);
  const [reportReal, inputReal] = await Promise.all([
    realpathOf(report),
    realpathOf(resolve(inputPath)),
  ]);
  const [reportStat, inputStat] = await Promise.all([statOf(report), statOf(inputReal)]);
  const sameInode =
    reportStat !== undefined &&
    inputStat !== undefined &&
    reportStat.dev === inputStat.dev &&
    reportStat.ino === inputStat.ino;
  if (reportReal === inputReal || sameInode) {
    throw new BatchFileError("io", `"${reportPath}" is the batch file itself: choose another`);
  }
  if (reportStat?.isDirectory() === true) {
    throw new BatchFileError("io", `"${reportPath}" is a directory`);
  }
  const dir = dirname(reportReal);
  const probe = join(dir, `.${basename(reportReal)}.${randomBytes(4).toString("hex")}.probe`);
  try {
    const handle = await open(probe, "wx");
    await handle.close();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new BatchFileError(
      "io",
      `cannot write "${reportPath}" (${code} in "${dir}")`,
      undefined,
      {
        cause: err,
      },
    );
  }
  await rm(probe, { force: true });
}

/** The path with symbolic links resolved; for a missing file, its directory's. */
async function realpathOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    try {
      return join(await realpath(dirname(path)), basename(path));
    } catch {
      return path;
    }
  }
}

async function statOf(path: string) {
  try {
    return await stat(path);
  } catch {
    return undefined;
  }
}
