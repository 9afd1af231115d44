/**
 * The "Transports" part of the HTTP client section: the client on each transport against
 * a bare baseline on the same transport, measured in the same run (bench/client.ts).
 */
import type { ClientMeasure } from "./client.js";

const PAIRS: readonly [transport: string, client: string, bare: string][] = [
  ["undici (default)", "GatePayClient, shipped transport (undici)", "bare undici.request"],
  ["ky", "GatePayClient, ky transport", "bare ky"],
];

/** Markdown lines, or none when the run did not measure both sides of a pair. */
export function renderTransports(results: readonly ClientMeasure[] | undefined): string[] {
  const by = (prefix: string) => results?.find((c) => c.variant.startsWith(prefix));
  const rows: string[] = [];
  for (const [transport, clientName, bareName] of PAIRS) {
    const client = by(clientName);
    const bare = by(bareName);
    if (!client || !bare) continue;
    rows.push(
      `| ${transport} | ${client.pairsPerSecond.toFixed(0)} | ${bare.pairsPerSecond.toFixed(0)} | ` +
        `${(client.pairsPerSecond / bare.pairsPerSecond).toFixed(2)}× | ` +
        `${client.cpuMsPerPair.toFixed(3)} | ${bare.cpuMsPerPair.toFixed(3)} | ` +
        `${(client.cpuMsPerPair / bare.cpuMsPerPair).toFixed(2)}× |`,
    );
  }
  if (rows.length === 0) return [];
  const undici = by("GatePayClient, shipped transport");
  const ky = by("GatePayClient, ky transport");
  const verdict =
    undici && ky
      ? `On this machine the client on undici makes ${(undici.pairsPerSecond / ky.pairsPerSecond).toFixed(1)}× ` +
        `the pairs per second of the client on ky, at ${(ky.cpuMsPerPair / undici.cpuMsPerPair).toFixed(1)}× less ` +
        "CPU per pair: `GATEPAY_HTTP_CLIENT` defaults to `undici`."
      : "";
  return [
    "",
    "#### Transports, each against a bare baseline on the same transport",
    "",
    "The client's cost on a transport is its own work (signing per attempt, zod, the lossless " +
      "JSON reader, timeouts and the observer) over the same two calls made bare on that transport.",
    "",
    "| transport | client pairs/s | bare pairs/s | client/bare | client CPU ms/pair | bare CPU ms/pair | client/bare |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...rows,
    ...(verdict ? ["", verdict] : []),
  ];
}
