/** Batch ids the producer generates when the caller gives none. */
import { randomBytes } from "node:crypto";

/** A fresh batch id: UTC time and 6 random hex digits (`20261003-142501-3f9a1c`). */
export function generateBatchId(nowMs = Date.now()): string {
  const iso = new Date(nowMs).toISOString();
  const stamp = `${iso.slice(0, 10).replace(/-/g, "")}-${iso.slice(11, 19).replace(/:/g, "")}`;
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}
