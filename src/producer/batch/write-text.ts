/** Writing to a file stream with back-pressure (the journal and the report). */
import { once } from "node:events";
import type { WriteStream } from "node:fs";

/**
 * Writes `text` to `stream`, waiting for `drain` when its buffer is full, so a large
 * batch never piles up in memory; rethrows an error the stream already had.
 */
export async function writeText(stream: WriteStream, text: string): Promise<void> {
  if (text === "") return;
  if (stream.errored) throw stream.errored;
  if (!stream.write(text)) await once(stream, "drain");
}
