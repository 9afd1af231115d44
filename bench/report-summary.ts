/**
 * The environment table of BENCHMARKS.md (the summary is in report-targets.ts).
 */
import { f0, f2, table } from "./report-format.js";
import type { Environment } from "./report-types.js";

export function environment(env: Environment): string {
  const v = env.versions;
  return [
    "## Machine, software, settings",
    "",
    table(
      ["", ""],
      [
        ["date", env.date],
        ["duration", `${f0(env.durationS)} s`],
        ["CPU", `${env.nproc} × ${env.cpuModel}`],
        ["memory", `${env.memTotalGiB.toFixed(1)} GiB`],
        ["OS", env.os],
        [
          "load average (1 min)",
          `${f2(env.loadStart)} at start, ${f2(env.loadEnd)} at end, ${f2(env.loadMax)} at most`,
        ],
        ["Node", v["node"] ?? "?"],
        [
          "Redis",
          `${v["redis"] ?? "?"} (a dedicated redis-server per run, no persistence; the ` +
            "durability section starts Valkey servers of its own, the cluster section a 3-master cluster)",
        ],
        [
          "packages",
          Object.entries(v)
            .filter(([k]) => k !== "node" && k !== "redis")
            .map(([k, x]) => `${k} ${x}`)
            .join(", "),
        ],
        [
          "settings",
          Object.entries(env.settings)
            .map(([k, x]) => `${k}=${x}`)
            .join(", "),
        ],
      ],
    ),
    "",
    env.loadMax > env.nproc
      ? `The machine was shared while this ran (load average up to ${f2(env.loadMax)} on ` +
        `${env.nproc} cores: other processes wanted the CPU). Absolute rates are then lower ` +
        "and noisier than on an idle machine; every ratio compares figures measured in the same " +
        "run, with the systems taking turns round by round, which is what the targets are about. " +
        "Worker CPU per refund is reported beside throughput: it depends far less on the load."
      : "The machine was otherwise idle while this ran.",
  ].join("\n");
}
