import fc from "fast-check";
import { format, inspect } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CONFIG_ENV_VARS, ConfigError, loadConfig } from "../../src/config.js";
import { Secret, redactUrlCredentials } from "../../src/secret.js";

const GOOD_TOKEN = "tok_0123456789abcdef";
const GOOD_SECRET = "s3cr3t-payment-api-key-XYZ";

/** The ConfigError message of `env`, failing the test when nothing is thrown. */
function errorOf(env: Record<string, string | undefined>, opts?: Parameters<typeof loadConfig>[1]) {
  try {
    loadConfig(env, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

afterEach(() => {
  vi.unstubAllEnvs();
});

describe("loadConfig defaults", () => {
  it("fills every default from an empty environment", () => {
    expect(loadConfig({})).toEqual({
      redisUrl: "redis://127.0.0.1:6379",
      queuePrefix: "{gatepay}",
      durability: { mode: "auto", timeoutMs: 1_000 },
      redisClusterNodes: undefined,
      queueShards: 1,
      gatepay: {
        baseUrl: "https://openplatform.gateapi.io",
        clientId: undefined,
        secretKey: undefined,
        onBehalfOf: undefined,
        timeoutMs: 10_000,
        maxRps: undefined,
        httpClient: "undici",
        lookupGraceMs: 10_000,
      },
      worker: {
        concurrency: 20,
        submitMaxAttempts: 8,
        lockDurationMs: 10_000,
        stalledIntervalMs: 2_000,
        shutdownTimeoutMs: 20_000,
      },
      poll: { firstDelayMs: 10_000, maxDelayMs: 300_000, deadlineMs: 86_400_000 },
      http: { port: 8080, apiToken: undefined, adminToken: undefined, metricsToken: undefined },
      logLevel: "info",
      tracing: {
        enabled: false,
        exporter: "none",
        otlpTracesUrl: undefined,
        otlpHeaders: undefined,
        serviceName: "gatepay-refund-worker",
      },
    });
  });

  it("treats an empty string as unset", () => {
    const env = Object.fromEntries(CONFIG_ENV_VARS.map((v) => [v.name, ""]));
    expect(loadConfig(env)).toEqual(loadConfig({}));
    expect(() => loadConfig({ GATEPAY_CLIENT_ID: "" }, { require: ["gatepay"] })).toThrow(
      /GATEPAY_CLIENT_ID: is required/,
    );
  });

  it("reads process.env when no environment is given", () => {
    vi.stubEnv("WORKER_CONCURRENCY", "7");
    vi.stubEnv("QUEUE_PREFIX", "from-process-env");
    vi.stubEnv("LOG_LEVEL", "warn");
    const config = loadConfig();
    expect(config.worker.concurrency).toBe(7);
    expect(config.queuePrefix).toBe("{from-process-env}");
  });

  it("ignores variables it does not know", () => {
    expect(loadConfig({ PATH: "/bin", UNRELATED: "x" })).toEqual(loadConfig({}));
  });
});

describe("loadConfig values", () => {
  const full = {
    REDIS_URL: "rediss://user:pw@redis.internal:6380/2",
    QUEUE_PREFIX: "refunds-{eu}",
    GATEPAY_BASE_URL: "http://127.0.0.1:4010/",
    GATEPAY_CLIENT_ID: "mZ96D37oKk-HrWJc",
    GATEPAY_SECRET_KEY: GOOD_SECRET,
    GATEPAY_ON_BEHALF_OF: "10001",
    GATEPAY_TIMEOUT_MS: "2500",
    GATEPAY_MAX_RPS: "12.5",
    WORKER_CONCURRENCY: "50",
    SUBMIT_MAX_ATTEMPTS: "3",
    WORKER_LOCK_DURATION_MS: "4000",
    WORKER_STALLED_INTERVAL_MS: "1500",
    POLL_FIRST_DELAY_MS: "100",
    POLL_MAX_DELAY_MS: "1000",
    POLL_DEADLINE_MS: "60000",
    HTTP_PORT: "0",
    API_TOKEN: GOOD_TOKEN,
    LOG_LEVEL: "DEBUG",
  };

  it("parses every variable", () => {
    const config = loadConfig(full, { require: ["gatepay", "apiToken"] });
    expect(config).toMatchObject({
      redisUrl: "rediss://user:pw@redis.internal:6380/2",
      queuePrefix: "refunds-{eu}",
      gatepay: {
        baseUrl: "http://127.0.0.1:4010",
        clientId: "mZ96D37oKk-HrWJc",
        onBehalfOf: "10001",
        timeoutMs: 2500,
        maxRps: 12.5,
      },
      worker: {
        concurrency: 50,
        submitMaxAttempts: 3,
        lockDurationMs: 4000,
        stalledIntervalMs: 1500,
      },
      poll: { firstDelayMs: 100, maxDelayMs: 1000, deadlineMs: 60_000 },
      http: { port: 0 },
      logLevel: "debug",
    });
    expect(config.gatepay.secretKey).toBeInstanceOf(Secret);
    expect(config.gatepay.secretKey?.reveal()).toBe(GOOD_SECRET);
    expect(config.http.apiToken?.reveal()).toBe(GOOD_TOKEN);
  });

  it("returns a deep-frozen object", () => {
    const config = loadConfig(full);
    for (const part of [
      config,
      config.gatepay,
      config.gatepay.secretKey,
      config.worker,
      config.poll,
      config.http,
      config.http.apiToken,
    ]) {
      expect(Object.isFrozen(part)).toBe(true);
    }
    expect(() => {
      (config.poll as { firstDelayMs: number }).firstDelayMs = 1;
    }).toThrow(TypeError);
    expect(() => {
      (config as { redisUrl: string }).redisUrl = "redis://elsewhere";
    }).toThrow(TypeError);
  });

  it("never shows a secret when serialized or inspected", () => {
    const config = loadConfig(full);
    for (const text of [
      JSON.stringify(config),
      inspect(config, { depth: 10 }),
      format("%o %O %j", config, config, config),
    ]) {
      expect(text).not.toContain(GOOD_SECRET);
      expect(text).not.toContain(GOOD_TOKEN);
      expect(text).toContain("[redacted]");
    }
  });

  it.each([
    ["gatepay", "{gatepay}"],
    ["tenant_1", "{tenant_1}"],
    ["A-b_9", "{A-b_9}"],
    ["{gp}", "{gp}"],
    ["app-{gp}-1", "app-{gp}-1"],
  ])("QUEUE_PREFIX %s → %s", (input, expected) => {
    expect(loadConfig({ QUEUE_PREFIX: input }).queuePrefix).toBe(expected);
  });

  it.each([
    ["a:b"],
    ["{}"],
    ["{a}{b}"],
    ["a{b"],
    ["a}b"],
    ["}a{"],
    [" gp"],
    ["gp*"],
    ["x".repeat(101)],
  ])("QUEUE_PREFIX %j is refused", (input) => {
    expect(errorOf({ QUEUE_PREFIX: input }).message).toMatch(/^QUEUE_PREFIX: /);
  });

  it.each([
    ["auto", "auto"],
    ["replica", "replica"],
    ["aof", "aof"],
    ["replica+aof", "replica+aof"],
    ["none", "none"],
    ["AOF", "aof"],
  ])("REDIS_DURABILITY %s → %s", (input, expected) => {
    expect(loadConfig({ REDIS_DURABILITY: input }).durability.mode).toBe(expected);
  });

  it.each([["always"], ["wait"], ["aof+replica"], ["1"]])(
    "REDIS_DURABILITY %j is refused with the modes it takes",
    (input) => {
      expect(errorOf({ REDIS_DURABILITY: input }).message).toBe(
        `REDIS_DURABILITY: must be one of auto, replica, aof, replica+aof, none (got ${JSON.stringify(input)})`,
      );
    },
  );

  it("REDIS_DURABILITY_TIMEOUT_MS is a whole number of ms from 1 to 600,000", () => {
    expect(loadConfig({ REDIS_DURABILITY_TIMEOUT_MS: "250" }).durability.timeoutMs).toBe(250);
    for (const bad of ["0", "1.5", "-1", "600001"]) {
      expect(errorOf({ REDIS_DURABILITY_TIMEOUT_MS: bad }).message).toMatch(
        /^REDIS_DURABILITY_TIMEOUT_MS: must be an integer from 1 to 600000/,
      );
    }
  });

  it.each([
    ["https://openplatform.gateapi.io", "https://openplatform.gateapi.io"],
    ["https://openplatform.gateapi.io///", "https://openplatform.gateapi.io"],
    ["http://127.0.0.1:9999/gatepay/", "http://127.0.0.1:9999/gatepay"],
  ])("GATEPAY_BASE_URL %s → %s", (input, expected) => {
    expect(loadConfig({ GATEPAY_BASE_URL: input }).gatepay.baseUrl).toBe(expected);
  });

  it.each([
    ["ftp://x"],
    ["openplatform.gateapi.io"],
    ["https://x/?a=1"],
    ["https://x/#f"],
    ["https://u:p@x"],
  ])("GATEPAY_BASE_URL %j is refused", (input) => {
    expect(errorOf({ GATEPAY_BASE_URL: input }).message).toMatch(
      /^GATEPAY_BASE_URL: must be an http/,
    );
  });

  it("REDIS_CLUSTER_NODES is a list of host:port seeds", () => {
    expect(
      loadConfig({ REDIS_CLUSTER_NODES: "10.0.0.1:7000, redis-b.internal:7001" }).redisClusterNodes,
    ).toEqual([
      { host: "10.0.0.1", port: 7000 },
      { host: "redis-b.internal", port: 7001 },
    ]);
    expect(loadConfig({ REDIS_CLUSTER_NODES: "" }).redisClusterNodes).toBeUndefined();
  });

  it.each([["10.0.0.1"], ["a:1,,b:2"], ["host:0"], ["host:70000"], ["redis://a:1"], ["a b:1"]])(
    "REDIS_CLUSTER_NODES %j is refused",
    (input) => {
      expect(errorOf({ REDIS_CLUSTER_NODES: input }).message).toMatch(
        /^REDIS_CLUSTER_NODES: each node/,
      );
    },
  );

  it("QUEUE_SHARDS is an integer from 1 to 256", () => {
    expect(loadConfig({ QUEUE_SHARDS: "4" }).queueShards).toBe(4);
    expect(loadConfig({ QUEUE_SHARDS: "256" }).queueShards).toBe(256);
    for (const bad of ["0", "257", "1.5", "-1", "four"]) {
      expect(errorOf({ QUEUE_SHARDS: bad }).message).toBe(
        `QUEUE_SHARDS: must be an integer from 1 to 256 (got ${JSON.stringify(bad)})`,
      );
    }
  });

  it("REDIS_URL must be redis or rediss, and its credentials are never echoed", () => {
    expect(loadConfig({ REDIS_URL: "redis://10.0.0.5:6379/1" }).redisUrl).toBe(
      "redis://10.0.0.5:6379/1",
    );
    expect(errorOf({ REDIS_URL: "http://:hunter2@x:6379" }).message).toBe(
      'REDIS_URL: must be a redis:// or rediss:// URL (got "http://***@x:6379")',
    );
    expect(errorOf({ REDIS_URL: "not a url" }).message).toMatch(/^REDIS_URL: /);
  });

  it.each([
    ["HTTP_PORT", "0", 0],
    ["HTTP_PORT", "65535", 65_535],
    ["WORKER_CONCURRENCY", "1", 1],
    ["WORKER_CONCURRENCY", "1000", 1000],
    ["SUBMIT_MAX_ATTEMPTS", "1", 1],
    ["SUBMIT_MAX_ATTEMPTS", "100", 100],
    ["GATEPAY_TIMEOUT_MS", "600000", 600_000],
    ["WORKER_LOCK_DURATION_MS", "2000", 2000],
    ["WORKER_LOCK_DURATION_MS", "600000", 600_000],
    ["WORKER_STALLED_INTERVAL_MS", "500", 500],
    ["WORKER_STALLED_INTERVAL_MS", "10000", 10_000],
    ["GATEPAY_LOOKUP_GRACE_MS", "0", 0],
    ["GATEPAY_LOOKUP_GRACE_MS", "600000", 600_000],
  ])("%s=%s is accepted", (name, value, expected) => {
    const config = loadConfig({ [name]: value });
    const got = {
      HTTP_PORT: config.http.port,
      WORKER_CONCURRENCY: config.worker.concurrency,
      SUBMIT_MAX_ATTEMPTS: config.worker.submitMaxAttempts,
      GATEPAY_TIMEOUT_MS: config.gatepay.timeoutMs,
      WORKER_LOCK_DURATION_MS: config.worker.lockDurationMs,
      WORKER_STALLED_INTERVAL_MS: config.worker.stalledIntervalMs,
      GATEPAY_LOOKUP_GRACE_MS: config.gatepay.lookupGraceMs,
    }[name];
    expect(got).toBe(expected);
  });

  it.each([
    ["HTTP_PORT", "65536", "from 0 to 65535"],
    ["HTTP_PORT", "-1", "from 0 to 65535"],
    ["HTTP_PORT", "80.5", "from 0 to 65535"],
    ["HTTP_PORT", " 80", "from 0 to 65535"],
    ["HTTP_PORT", "1e3", "from 0 to 65535"],
    ["WORKER_CONCURRENCY", "0", "from 1 to 1000"],
    ["WORKER_CONCURRENCY", "1001", "from 1 to 1000"],
    ["WORKER_CONCURRENCY", "abc", "from 1 to 1000"],
    ["SUBMIT_MAX_ATTEMPTS", "0", "from 1 to 100"],
    ["SUBMIT_MAX_ATTEMPTS", "101", "from 1 to 100"],
    ["GATEPAY_TIMEOUT_MS", "0", "from 1 to 600000"],
    ["GATEPAY_TIMEOUT_MS", "99999999999999999999", "from 1 to 600000"],
    ["WORKER_LOCK_DURATION_MS", "999", "from 1000 to 600000"],
    ["WORKER_LOCK_DURATION_MS", "600001", "from 1000 to 600000"],
    ["WORKER_STALLED_INTERVAL_MS", "499", "from 500 to 600000"],
    ["WORKER_STALLED_INTERVAL_MS", "2s", "from 500 to 600000"],
    ["GATEPAY_LOOKUP_GRACE_MS", "600001", "from 0 to 600000"],
    ["GATEPAY_LOOKUP_GRACE_MS", "-1", "from 0 to 600000"],
  ])("%s=%j is refused", (name, value, range) => {
    expect(errorOf({ [name]: value }).message).toBe(
      `${name}: must be an integer ${range} (got ${JSON.stringify(value)})`,
    );
  });

  it("GATEPAY_HTTP_CLIENT is undici or ky, in any case", () => {
    expect(loadConfig({ GATEPAY_HTTP_CLIENT: "ky" }).gatepay.httpClient).toBe("ky");
    expect(loadConfig({ GATEPAY_HTTP_CLIENT: "UNDICI" }).gatepay.httpClient).toBe("undici");
    expect(errorOf({ GATEPAY_HTTP_CLIENT: "axios" }).message).toBe(
      'GATEPAY_HTTP_CLIENT: must be undici or ky (got "axios")',
    );
  });

  it("GATEPAY_MAX_RPS must be a positive number", () => {
    expect(loadConfig({ GATEPAY_MAX_RPS: "0.5" }).gatepay.maxRps).toBe(0.5);
    expect(loadConfig({ GATEPAY_MAX_RPS: "100" }).gatepay.maxRps).toBe(100);
    expect(errorOf({ GATEPAY_MAX_RPS: "abc" }).message).toBe(
      'GATEPAY_MAX_RPS: must be a positive number (got "abc")',
    );
    for (const bad of ["0", "0.0", "-1", "1e2", "Infinity"]) {
      expect(errorOf({ GATEPAY_MAX_RPS: bad }).message).toMatch(
        /^GATEPAY_MAX_RPS: must be a positive number/,
      );
    }
  });

  it("LOG_LEVEL is one of pino's levels, any case", () => {
    expect(loadConfig({ LOG_LEVEL: "Silent" }).logLevel).toBe("silent");
    expect(errorOf({ LOG_LEVEL: "verbose" }).message).toBe(
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    );
  });

  it("ids sent as headers must be printable ASCII", () => {
    expect(errorOf({ GATEPAY_CLIENT_ID: "has space" }).message).toMatch(/^GATEPAY_CLIENT_ID: /);
    expect(errorOf({ GATEPAY_ON_BEHALF_OF: "a\nb" }).message).toMatch(/^GATEPAY_ON_BEHALF_OF: /);
  });
});

describe("poll schedule cross-field rules", () => {
  it("accepts first = max = deadline", () => {
    const config = loadConfig({
      POLL_FIRST_DELAY_MS: "500",
      POLL_MAX_DELAY_MS: "500",
      POLL_DEADLINE_MS: "500",
    });
    expect(config.poll).toEqual({ firstDelayMs: 500, maxDelayMs: 500, deadlineMs: 500 });
  });

  it("names both variables when first > max", () => {
    expect(errorOf({ POLL_FIRST_DELAY_MS: "400000" }).message).toBe(
      "POLL_FIRST_DELAY_MS, POLL_MAX_DELAY_MS: POLL_FIRST_DELAY_MS (400000) must not exceed POLL_MAX_DELAY_MS (300000)",
    );
  });

  it("names both variables when max > deadline", () => {
    const err = errorOf({
      POLL_MAX_DELAY_MS: "2000",
      POLL_DEADLINE_MS: "1000",
      POLL_FIRST_DELAY_MS: "10",
    });
    expect(err.message).toBe(
      "POLL_MAX_DELAY_MS, POLL_DEADLINE_MS: POLL_MAX_DELAY_MS (2000) must not exceed POLL_DEADLINE_MS (1000)",
    );
    expect(err.problems[0]?.variables).toEqual(["POLL_MAX_DELAY_MS", "POLL_DEADLINE_MS"]);
  });

  it("is reported alongside unrelated problems", () => {
    const err = errorOf({ POLL_FIRST_DELAY_MS: "400000", HTTP_PORT: "x" });
    expect(err.problems.map((p) => p.variables[0])).toEqual(["POLL_FIRST_DELAY_MS", "HTTP_PORT"]);
  });
});

describe("recovery timing cross-field rule", () => {
  it("accepts a stalled interval equal to the lock duration", () => {
    const config = loadConfig({
      WORKER_LOCK_DURATION_MS: "3000",
      WORKER_STALLED_INTERVAL_MS: "3000",
    });
    expect(config.worker).toMatchObject({ lockDurationMs: 3000, stalledIntervalMs: 3000 });
  });

  it("names both variables when the stalled interval exceeds the lock duration", () => {
    const err = errorOf({ WORKER_LOCK_DURATION_MS: "5000", WORKER_STALLED_INTERVAL_MS: "6000" });
    expect(err.problems.map((p) => p.variables)).toEqual([
      ["WORKER_STALLED_INTERVAL_MS", "WORKER_LOCK_DURATION_MS"],
    ]);
    expect(err.message).toBe(
      "WORKER_STALLED_INTERVAL_MS, WORKER_LOCK_DURATION_MS: WORKER_STALLED_INTERVAL_MS (6000) must not exceed WORKER_LOCK_DURATION_MS (5000)",
    );
  });

  it("a default lock of 10 s refuses a stalled interval above it", () => {
    expect(errorOf({ WORKER_STALLED_INTERVAL_MS: "20000" }).problems).toHaveLength(1);
  });
});

describe("requirements and secrets", () => {
  it("require gatepay demands the client id and the secret", () => {
    const err = errorOf({}, { require: ["gatepay"] });
    expect(err.message).toBe("GATEPAY_CLIENT_ID: is required\nGATEPAY_SECRET_KEY: is required");
    const ok = loadConfig(
      { GATEPAY_CLIENT_ID: "cid", GATEPAY_SECRET_KEY: GOOD_SECRET },
      { require: ["gatepay"] },
    );
    expect(ok.gatepay.clientId).toBe("cid");
  });

  it("require apiToken demands a token of at least 16 characters", () => {
    expect(errorOf({}, { require: ["apiToken"] }).message).toBe("API_TOKEN: is required");
    expect(
      loadConfig({ API_TOKEN: "q7".repeat(8) }, { require: ["apiToken"] }).http.apiToken?.reveal(),
    ).toBe("q7".repeat(8));
    expect(loadConfig({ API_TOKEN: GOOD_TOKEN }).http.apiToken?.reveal()).toBe(GOOD_TOKEN);
  });

  it("ADMIN_TOKEN: at least 16 characters, never equal to API_TOKEN, hidden in errors", () => {
    const admin = "admin-token-0123456789";
    expect(loadConfig({ ADMIN_TOKEN: admin }).http.adminToken?.reveal()).toBe(admin);
    expect(loadConfig({}).http.adminToken).toBeUndefined();
    expect(errorOf({ ADMIN_TOKEN: "short-admin" }).message).toBe(
      "ADMIN_TOKEN: must be at least 16 characters (value hidden)",
    );
    const same = errorOf({ API_TOKEN: admin, ADMIN_TOKEN: admin }).message;
    expect(same).toBe(
      "ADMIN_TOKEN, API_TOKEN: ADMIN_TOKEN must differ from API_TOKEN (values hidden)",
    );
    expect(same).not.toContain(admin);
  });

  it("never echoes a rejected API_TOKEN", () => {
    fc.assert(
      fc.property(fc.stringMatching(/^tok[A-Za-z0-9]{0,12}$/), (token) => {
        const err = errorOf({
          API_TOKEN: token,
          GATEPAY_SECRET_KEY: GOOD_SECRET,
          HTTP_PORT: "bad",
        });
        expect(err.message).toContain("API_TOKEN: must be at least 16 characters (value hidden)");
        expect(err.message).not.toContain(token);
        expect(err.message).not.toContain(GOOD_SECRET);
        expect(JSON.stringify(err.problems)).not.toContain(token);
      }),
    );
  });

  it("lists every problem, one line each, in table order", () => {
    const err = errorOf(
      {
        LOG_LEVEL: "loud",
        WORKER_CONCURRENCY: "abc",
        GATEPAY_MAX_RPS: "abc",
        API_TOKEN: "short",
      },
      { require: ["gatepay"] },
    );
    expect(err.name).toBe("ConfigError");
    expect(err.message.split("\n")).toEqual([
      "GATEPAY_CLIENT_ID: is required",
      "GATEPAY_SECRET_KEY: is required",
      'GATEPAY_MAX_RPS: must be a positive number (got "abc")',
      'WORKER_CONCURRENCY: must be an integer from 1 to 1000 (got "abc")',
      "API_TOKEN: must be at least 16 characters (value hidden)",
      'LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
    ]);
  });
});

describe("CONFIG_ENV_VARS", () => {
  it("names each variable once, with a description", () => {
    const names = CONFIG_ENV_VARS.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const v of CONFIG_ENV_VARS) expect(v.description.length).toBeGreaterThan(10);
  });

  it("lists exactly the variables of DESIGN.md", () => {
    expect(CONFIG_ENV_VARS.map((v) => v.name).sort()).toEqual(
      [
        "REDIS_URL",
        "REDIS_CLUSTER_NODES",
        "QUEUE_PREFIX",
        "QUEUE_SHARDS",
        "GATEPAY_BASE_URL",
        "GATEPAY_CLIENT_ID",
        "GATEPAY_SECRET_KEY",
        "GATEPAY_ON_BEHALF_OF",
        "WORKER_CONCURRENCY",
        "GATEPAY_MAX_RPS",
        "HTTP_PORT",
        "API_TOKEN",
        "ADMIN_TOKEN",
        "METRICS_TOKEN",
        "SHUTDOWN_TIMEOUT_MS",
        "LOG_LEVEL",
        "GATEPAY_TIMEOUT_MS",
        "GATEPAY_HTTP_CLIENT",
        "GATEPAY_LOOKUP_GRACE_MS",
        "SUBMIT_MAX_ATTEMPTS",
        "WORKER_LOCK_DURATION_MS",
        "WORKER_STALLED_INTERVAL_MS",
        "POLL_FIRST_DELAY_MS",
        "POLL_MAX_DELAY_MS",
        "POLL_DEADLINE_MS",
        "OTEL_SDK_DISABLED",
        "OTEL_TRACES_EXPORTER",
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_SERVICE_NAME",
        "REDIS_DURABILITY",
        "REDIS_DURABILITY_TIMEOUT_MS",
      ].sort(),
    );
  });

  it("every listed variable is read: a bad value is reported under its name", () => {
    for (const v of CONFIG_ENV_VARS) {
      if (v.name === "GATEPAY_SECRET_KEY") continue; // any non-empty string is a valid secret
      const err = errorOf({ [v.name]: "\u0000bad" });
      expect(err.problems.map((p) => p.variables[0])).toEqual([v.name]);
    }
  });

  it("the documented defaults are the ones applied", () => {
    const withDefaults = Object.fromEntries(
      CONFIG_ENV_VARS.filter((v) => v.default !== undefined).map((v) => [v.name, v.default]),
    );
    expect(loadConfig(withDefaults)).toEqual(loadConfig({}));
    expect(CONFIG_ENV_VARS.filter((v) => v.secret).map((v) => v.name)).toEqual([
      "GATEPAY_SECRET_KEY",
      "API_TOKEN",
      "ADMIN_TOKEN",
      "METRICS_TOKEN",
      "OTEL_EXPORTER_OTLP_HEADERS",
    ]);
  });
});

describe("Secret", () => {
  it("reveals only on request", () => {
    const s = new Secret(GOOD_SECRET);
    expect(s.reveal()).toBe(GOOD_SECRET);
    const renderings = [
      String(s),
      // Implicit conversions are exactly what must stay safe.
      // eslint-disable-next-line @typescript-eslint/restrict-template-expressions
      `${s}`,
      // eslint-disable-next-line @typescript-eslint/restrict-plus-operands
      "" + s,
      JSON.stringify({ s }),
      inspect(s),
      inspect({ nested: { s } }, { depth: 5, showHidden: true }),
      format("%s %o %O %j", s, s, s, s),
      Object.keys(s).join(","),
      JSON.stringify(structuredClone({ s })),
    ];
    for (const text of renderings) expect(text).not.toContain(GOOD_SECRET);
    expect(String(s)).toBe("[redacted]");
    expect(Object.isFrozen(s)).toBe(true);
    expect(JSON.stringify(s)).toBe('"[redacted]"');
  });
});

describe("redactUrlCredentials", () => {
  it.each([
    ["redis://:hunter2@host:6379/0", "redis://***@host:6379/0"],
    ["rediss://user:pw@host", "rediss://***@host"],
    ["redis://user@host", "redis://***@host"],
    ["redis://host:6379", "redis://host:6379"],
    ["https://openplatform.gateapi.io", "https://openplatform.gateapi.io"],
    ["redis://:p@ss@host", "redis://***@host"],
    ["user:pw@host", "***@host"],
  ])("%s → %s", (input, expected) => {
    expect(redactUrlCredentials(input)).toBe(expected);
  });
});

describe("loadConfig dashboard, metrics and shutdown settings", () => {
  const ADMIN = "adm_9f8e7d6c5b4a3210";
  const METRICS = "met_1a2b3c4d5e6f7788";

  it("parses ADMIN_TOKEN, METRICS_TOKEN and SHUTDOWN_TIMEOUT_MS", () => {
    const config = loadConfig({
      API_TOKEN: GOOD_TOKEN,
      ADMIN_TOKEN: ADMIN,
      METRICS_TOKEN: METRICS,
      SHUTDOWN_TIMEOUT_MS: "1500",
    });
    expect(config.http.adminToken).toBeInstanceOf(Secret);
    expect(config.http.adminToken?.reveal()).toBe(ADMIN);
    expect(config.http.metricsToken?.reveal()).toBe(METRICS);
    expect(config.worker.shutdownTimeoutMs).toBe(1500);
    expect(JSON.stringify(config)).not.toContain(ADMIN);
    expect(JSON.stringify(config)).not.toContain(METRICS);
  });

  it("refuses short tokens and a bad SHUTDOWN_TIMEOUT_MS, naming the variable", () => {
    const err = errorOf({ ADMIN_TOKEN: "short", METRICS_TOKEN: "x1", SHUTDOWN_TIMEOUT_MS: "0" });
    expect(err.message.split("\n")).toEqual([
      "ADMIN_TOKEN: must be at least 16 characters (value hidden)",
      "METRICS_TOKEN: must be at least 16 characters (value hidden)",
      'SHUTDOWN_TIMEOUT_MS: must be an integer from 1 to 3600000 (got "0")',
    ]);
  });

  it("refuses an ADMIN_TOKEN equal to API_TOKEN or METRICS_TOKEN, without echoing it", () => {
    const err = errorOf({ API_TOKEN: ADMIN, ADMIN_TOKEN: ADMIN, METRICS_TOKEN: ADMIN });
    expect(err.problems.map((p) => p.variables)).toEqual([
      ["ADMIN_TOKEN", "API_TOKEN"],
      ["ADMIN_TOKEN", "METRICS_TOKEN"],
    ]);
    expect(err.message).toContain("ADMIN_TOKEN must differ from API_TOKEN");
    expect(err.message).not.toContain(ADMIN);
  });
});

describe("loadConfig placeholder secrets", () => {
  // The docker-compose.yml defaults and the classics of README and .env examples.
  const PLACEHOLDERS = [
    "compose-sandbox-secret-change-me",
    "compose-api-token-change-me",
    "change-me",
    "changeme",
    "CHANGE_ME",
    "secret",
    "password",
    "your-secret-key",
    "<your-api-token-here>",
    "replace-me-with-a-real-token",
    "xxxxxxxxxxxxxxxxxxxx",
    "0123456789abcdef",
  ];

  it("refuses each one in GATEPAY_SECRET_KEY and the tokens against the real GatePay", () => {
    for (const value of PLACEHOLDERS) {
      const padded = value.length >= 16 ? value : `${value}-placeholder`;
      const err = errorOf({ GATEPAY_SECRET_KEY: value, API_TOKEN: padded });
      expect(
        err.problems.map((p) => p.variables[0]),
        value,
      ).toEqual(["GATEPAY_SECRET_KEY", "API_TOKEN"]);
      expect(err.message).toContain(
        "GATEPAY_SECRET_KEY: is a well-known placeholder, accepted only against the sandbox",
      );
      if (value.length > 8) expect(err.message).not.toContain(value);
    }
  });

  it("refuses them in ADMIN_TOKEN and METRICS_TOKEN too", () => {
    const err = errorOf({
      ADMIN_TOKEN: "compose-admin-token-change-me",
      METRICS_TOKEN: "YOUR_METRICS_TOKEN_HERE",
    });
    expect(err.problems.map((p) => p.variables[0])).toEqual(["ADMIN_TOKEN", "METRICS_TOKEN"]);
  });

  it("accepts them against the sandbox (a plain http:// GATEPAY_BASE_URL, as in docker-compose)", () => {
    const config = loadConfig({
      GATEPAY_BASE_URL: "http://sandbox:8090",
      GATEPAY_SECRET_KEY: "compose-sandbox-secret-change-me",
      API_TOKEN: "compose-api-token-change-me",
    });
    expect(config.gatepay.secretKey?.reveal()).toBe("compose-sandbox-secret-change-me");
  });

  it("accepts real-looking secrets against the real GatePay", () => {
    const config = loadConfig({ GATEPAY_SECRET_KEY: GOOD_SECRET, API_TOKEN: GOOD_TOKEN });
    expect(config.gatepay.baseUrl).toBe("https://openplatform.gateapi.io");
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_-]{32}$/), (token) => {
        fc.pre(new Set(token).size > 4);
        expect(loadConfig({ API_TOKEN: token }).http.apiToken?.reveal()).toBe(token);
      }),
    );
  });
});
