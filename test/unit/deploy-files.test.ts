/**
 * docker-compose.yml and the Dockerfile cannot run here (no Docker engine), so this
 * checks what can be checked: the YAML parses into the services we document, one image
 * built once for every Node service, every command and flag exists in the CLI, every
 * environment variable is one the config accepts (or the sandbox's credentials), Redis
 * keeps a write before a refund is sent, ports are published on loopback only, and the
 * Dockerfile is multi-stage, non-root, root-owned and ships production dependencies
 * only. The Compose schema itself is checked by dclint (`npm run lint`).
 */
import { existsSync, readFileSync } from "node:fs";
import type { Command } from "commander";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildProgram } from "../../src/cli/program.js";
import { CONFIG_ENV_VARS } from "../../src/config.js";

const root = new URL("../../", import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), "utf8");

interface Service {
  build?: unknown;
  image?: string;
  pull_policy?: string;
  init?: boolean;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
}

/** The image the Dockerfile builds, run by every Node service. */
const APP_IMAGE = "gatepay-refund-worker:local";
/** The services that run that image, and the one that builds it. */
const NODE_SERVICES = ["sandbox", "worker", "producer"];
const BUILDER = "worker";

/**
 * Variables announced in DESIGN.md ("Public surfaces", environment) that other branches of
 * this round are adding to the config schema. docker-compose.yml may set them before the
 * schema has them; once src/config.ts lists a name, it is checked like any other. Keep
 * this list short and remove a name when the config has it.
 */
const ANNOUNCED_ENV_VARS = [
  "REDIS_DURABILITY",
  "REDIS_DURABILITY_TIMEOUT_MS",
  "REDIS_CLUSTER_NODES",
  "QUEUE_SHARDS",
  "GATEPAY_HTTP_CLIENT",
  "GATEPAY_LOOKUP_GRACE_MS",
  "ADMIN_TOKEN",
  "METRICS_TOKEN",
];

const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const program = buildProgram({ env: {}, out: () => undefined, err: () => undefined });

function commandNamed(name: string): Command | undefined {
  return program.commands.find((c) => c.name() === name);
}

const service = (name: string): Service => compose.services[name]!;

describe("docker-compose.yml", () => {
  it("has Redis, the sandbox, a worker and a producer", () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      "producer",
      "redis",
      "sandbox",
      "worker",
    ]);
  });

  it("runs Redis so that a write holds before a refund is sent (Valkey 8: WAITAOF)", () => {
    const redis = service("redis");
    expect(redis.image).toMatch(/^valkey\/valkey:8(\.\d+)*-alpine$/);
    const args = redis.command!.join(" ");
    expect(args).toContain("--appendonly yes");
    expect(args).toContain("--appendfsync everysec");
    expect(args).toContain("--maxmemory-policy noeviction");
    expect(Object.keys(compose.volumes)).toContain("redis-data");
    // `aof`, not `auto`: on a server without WAITAOF `auto` would fall to `none` silently.
    for (const name of ["worker", "producer"]) {
      expect(service(name).environment?.["REDIS_DURABILITY"], name).toBe("aof");
    }
  });

  it("builds one image once, and every Node service runs it under an init process", () => {
    for (const name of NODE_SERVICES) {
      const s = service(name);
      expect(s.image, name).toBe(APP_IMAGE);
      expect(s.init, name).toBe(true);
      // The builder always builds; the others never pull a tag that only exists locally.
      expect(s.build !== undefined, name).toBe(name === BUILDER);
      expect(s.pull_policy, name).toBe(name === BUILDER ? "build" : "never");
    }
  });

  it("runs only commands and flags the CLI has", () => {
    for (const name of NODE_SERVICES) {
      const [cmd, ...args] = service(name).command ?? [];
      const command = commandNamed(cmd!);
      expect(command, `${name}: command ${cmd}`).toBeDefined();
      const flags = new Set(command!.options.map((o) => o.long));
      for (const arg of args.filter((a) => a.startsWith("--"))) {
        expect(flags.has(arg), `${name}: ${cmd} ${arg}`).toBe(true);
      }
      for (const arg of args.filter((a) => a.startsWith("examples/"))) {
        expect(existsSync(new URL(arg, root)), `${name}: ${arg} exists`).toBe(true);
      }
    }
  });

  it("sets only environment variables the config accepts (the sandbox takes its credentials)", () => {
    const known = new Set<string>([...CONFIG_ENV_VARS.map((v) => v.name), ...ANNOUNCED_ENV_VARS]);
    for (const [name, s] of Object.entries(compose.services)) {
      for (const variable of Object.keys(s.environment ?? {})) {
        expect(known.has(variable), `${name}: ${variable}`).toBe(true);
      }
    }
  });

  it("publishes ports on the loopback interface only", () => {
    for (const [name, s] of Object.entries(compose.services)) {
      for (const port of s.ports ?? []) {
        expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
      }
    }
    expect(service("worker").ports).toEqual(["127.0.0.1:8080:8080"]);
  });

  it("checks the health of the services that serve, not of the one-shot producer", () => {
    for (const name of ["redis", "sandbox", "worker"]) {
      expect(service(name).healthcheck?.test?.length, name).toBeGreaterThan(0);
    }
    expect(service("producer").healthcheck).toBeUndefined();
    expect(service("worker").depends_on).toMatchObject({
      redis: { condition: "service_healthy" },
      sandbox: { condition: "service_healthy" },
    });
    expect(service("producer").depends_on).toMatchObject({
      worker: { condition: "service_healthy" },
    });
    // `batch --wait` stops on SIGTERM (test/e2e/cli-batch-signal.test.ts), so
    // `docker compose stop` ends the producer at once rather than after the grace period.
    expect(service("producer").command).toContain("--wait");
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");

  it("is multi-stage on Node 24, runs as a non-root user and keeps production dependencies only", () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile.match(/^FROM node:24-bookworm-slim AS \w+$/gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "dist\/cli\.js"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["worker"\]$/m);
  });

  it("leaves the application files to root, and has no health check of its own", () => {
    // Files copied without --chown belong to root: the `node` user can read and run the
    // code but not rewrite it.
    expect(dockerfile).not.toMatch(/--chown/);
    // The image also runs one-shot commands; compose checks the services that serve.
    expect(dockerfile).not.toMatch(/^HEALTHCHECK/m);
  });

  it("copies only paths that exist and builds with the package scripts", () => {
    for (const [, path] of dockerfile.matchAll(/^COPY (?!--from)(\S+)/gm)) {
      expect(existsSync(new URL(path!, root)), path).toBe(true);
    }
    const pkg = JSON.parse(read("package.json")) as {
      scripts: Record<string, string>;
      bin: Record<string, string>;
    };
    expect(pkg.scripts["build"]).toBeDefined();
    expect(pkg.bin["gatepay-refunds"]).toBe("./dist/cli.js");
  });
});
