/**
 * The layer rules (README "Architecture"), checked by `npm run lint`.
 *
 *   domain ← gatepay ← store / jobs ← producer / worker ← http / cli
 *
 * `domain` is pure and imports nothing of ours; the GatePay client knows nothing of queues
 * or Redis; only `store/` talks to Redis; `http/` and `cli/` are shells over the library.
 * The sandbox (a GatePay simulator) is a program of its own beside the client. The
 * top-level `secret.ts`, `logger.ts` and `config.ts` are the process kernel every layer
 * above `domain` may use.
 */

/** Folders (under src/) a layer must not import from. */
const FORBIDDEN = {
  domain: [
    "gatepay",
    "sandbox",
    "store",
    "jobs",
    "producer",
    "worker",
    "http",
    "cli",
    "demo",
    "telemetry",
  ],
  gatepay: ["sandbox", "store", "jobs", "producer", "worker", "http", "cli", "demo"],
  sandbox: ["store", "jobs", "producer", "worker", "http", "cli", "demo"],
  store: ["sandbox", "jobs", "producer", "worker", "http", "cli", "demo"],
  jobs: ["sandbox", "producer", "worker", "http", "cli", "demo"],
  producer: ["sandbox", "worker", "http", "cli", "demo"],
  worker: ["sandbox", "producer", "http", "cli", "demo"],
  http: ["sandbox", "cli", "demo"],
};

const layerRules = Object.entries(FORBIDDEN).map(([layer, banned]) => ({
  name: `layer-${layer}`,
  comment: `src/${layer}/ must not import ${banned.join(", ")}`,
  severity: "error",
  from: { path: `^src/${layer}/` },
  to: { path: `^src/(${banned.join("|")})/` },
}));

module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "Import cycles make the layers meaningless and break ESM initialisation order.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    ...layerRules,
    {
      name: "domain-is-pure",
      comment: "src/domain/ imports nothing of ours outside domain/ (kernel modules included).",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { path: "^src/", pathNot: "^src/domain/" },
    },
    {
      name: "only-store-talks-to-redis",
      comment:
        "Only src/store/ uses ioredis at run time; others may import its types (a connection handed to BullMQ).",
      severity: "error",
      from: { path: "^src/", pathNot: "^src/store/" },
      to: { path: "node_modules/ioredis/", dependencyTypesNot: ["type-only"] },
    },
    {
      name: "no-queues-below-jobs",
      comment: "The client, the sandbox, the store and the domain know nothing of BullMQ.",
      severity: "error",
      from: { path: "^src/(domain|gatepay|sandbox|store)/" },
      to: { path: "node_modules/bullmq/" },
    },
    {
      name: "src-does-not-import-tests-or-bench",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^(test|bench)/" },
    },
    {
      name: "not-to-unresolvable",
      severity: "error",
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^(dist|coverage)/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: require("node:path").join(__dirname, "tsconfig.json") },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default", "types"],
      extensions: [".ts", ".js", ".mjs", ".cjs", ".json"],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
