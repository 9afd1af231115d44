/**
 * docker-compose.yml and the Dockerfile cannot run here (no Docker engine), so this
 * checks what can be checked: the YAML parses into the services we document, every
 * command and flag exists in the CLI, every environment variable is one the config
 * accepts (or the sandbox's credentials), and the Dockerfile is multi-stage, non-root
 * and ships production dependencies only.
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
  command?: string[];
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean };
}

const compose = parse(read("docker-compose.yml"), { merge: true }) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const program = buildProgram({ env: {}, out: () => undefined, err: () => undefined });

function commandNamed(name: string): Command | undefined {
  return program.commands.find((c) => c.name() === name);
}

describe("docker-compose.yml", () => {
  it("has redis with an append-only file on a named volume, the sandbox, a worker and a producer", () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      "producer",
      "redis",
      "sandbox",
      "worker",
    ]);
    const redis = compose.services["redis"]!;
    expect(redis.command).toEqual(expect.arrayContaining(["--appendonly", "yes"]));
    expect(Object.keys(compose.volumes)).toContain("redis-data");
  });

  it("runs only commands and flags the CLI has", () => {
    for (const [name, service] of Object.entries(compose.services)) {
      if (!service.build) continue;
      const [cmd, ...args] = service.command ?? [];
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
    const known = new Set<string>(CONFIG_ENV_VARS.map((v) => v.name));
    for (const [name, service] of Object.entries(compose.services)) {
      for (const variable of Object.keys(service.environment ?? {})) {
        expect(known.has(variable), `${name}: ${variable}`).toBe(true);
      }
    }
  });

  it("has a health check on every long-running service and starts in dependency order", () => {
    for (const name of ["redis", "sandbox", "worker"]) {
      expect(compose.services[name]!.healthcheck?.test?.length, name).toBeGreaterThan(0);
    }
    expect(compose.services["worker"]!.depends_on).toMatchObject({
      redis: { condition: "service_healthy" },
      sandbox: { condition: "service_healthy" },
    });
    expect(compose.services["producer"]!.depends_on).toMatchObject({
      worker: { condition: "service_healthy" },
    });
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");

  it("is multi-stage, runs as a non-root user and keeps production dependencies only", () => {
    expect(dockerfile.match(/^FROM /gm)).toHaveLength(2);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "dist\/cli\.js"\]$/m);
    expect(dockerfile).toMatch(/^CMD \["worker"\]$/m);
  });

  it("copies only paths that exist and builds with the package scripts", () => {
    for (const [, path] of dockerfile.matchAll(/^COPY (?!--from)(?:--chown=\S+ )?(\S+)/gm)) {
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
