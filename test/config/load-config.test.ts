/**
 * `loadConfig(env)`: defaults for every setting, and a ConfigError whose message tells the operator which
 * variable is wrong, what it held and what is allowed. The message text is the behaviour under test here.
 */
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../../src/config/load-config.js";

const SECRET = "s3cret-value-that-is-long-enough-to-sign-tokens";

/** The ConfigError `loadConfig(env)` throws. */
function configError(env: Record<string, string>): ConfigError {
  let thrown: unknown;
  try {
    loadConfig(env);
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(ConfigError);
  return thrown as ConfigError;
}

describe("loadConfig defaults", () => {
  it("an empty environment gives every default", () => {
    expect(loadConfig({})).toMatchObject({
      DATABASE_URL: undefined,
      PGLITE_DIR: "./.data/pglite",
      DATABASE_POOL_MAX: 10,
      DATABASE_CONNECT_TIMEOUT_MS: 5000,
      HOST: "localhost",
      PORT: 4000,
      NODE_ENV: "development",
      SHUTDOWN_TIMEOUT_MS: 10_000,
      SEED_DEMO: true,
      GRAPHQL_MAX_DEPTH: 12,
      GRAPHQL_MAX_COST: 200_000,
      GRAPHQL_MAX_BATCH: 1,
      AUTH_SECRET: undefined,
      TOKEN_TTL: 12 * 3_600_000,
      REQUIRE_DELETION_REASON: false,
      HARD_DELETE_AFTER_DAYS: 90,
      CASCADE_SOFT_DELETE: true,
      MAX_CASCADE_DEPTH: 10,
      BULK_BATCH_SIZE: 1000,
      BULK_MAX_IDS: 10_000,
      LOG_LEVEL: "info",
    });
  });

  it("SEED_DEMO defaults to false in production (and can still be turned on there)", () => {
    const secret = "x".repeat(32);
    expect(loadConfig({ NODE_ENV: "production", AUTH_SECRET: secret }).SEED_DEMO).toBe(false);
    expect(loadConfig({ NODE_ENV: "production", AUTH_SECRET: secret, SEED_DEMO: "true" }).SEED_DEMO).toBe(true);
    expect(loadConfig({ NODE_ENV: "test" }).SEED_DEMO).toBe(true);
  });

  it("metrics and log settings: off by default, validated when given", () => {
    expect(loadConfig({})).toMatchObject({ METRICS_PORT: undefined, METRICS_TOKEN: undefined, LOG_PRETTY: false });
    expect(loadConfig({ METRICS_PORT: "9464", LOG_PRETTY: "true" })).toMatchObject({
      METRICS_PORT: 9464,
      LOG_PRETTY: true,
    });
    expect(() => loadConfig({ METRICS_PORT: "0" })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ METRICS_TOKEN: "short" })).toThrow(/METRICS_TOKEN=\(hidden, 5 characters\)/);
  });

  it("an empty variable counts as unset and unknown variables are ignored", () => {
    const config = loadConfig({ PORT: "", SEED_DEMO: "", DATABASE_URL: "", SOMETHING_ELSE: "whatever" });
    expect(config.PORT).toBe(4000);
    expect(config.SEED_DEMO).toBe(true);
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it("parses given values into their types", () => {
    const config = loadConfig({
      PORT: "0",
      DATABASE_URL: "postgresql://app:pw@db.internal:5433/app",
      SEED_DEMO: "no",
      REQUIRE_DELETION_REASON: "1",
      TOKEN_TTL: "15m",
      HARD_DELETE_AFTER_DAYS: "0",
      NODE_ENV: "test",
    });
    expect(config).toMatchObject({
      PORT: 0,
      DATABASE_URL: "postgresql://app:pw@db.internal:5433/app",
      SEED_DEMO: false,
      REQUIRE_DELETION_REASON: true,
      TOKEN_TTL: 900_000,
      HARD_DELETE_AFTER_DAYS: 0,
      NODE_ENV: "test",
    });
  });
});

describe("loadConfig refuses bad values, naming the variable, the value and what is allowed", () => {
  const cases: { kind: string; name: string; value: string; allowed: string }[] = [
    { kind: "a non-number port", name: "PORT", value: "http", allowed: "expected a whole number from 0 to 65535" },
    { kind: "a fractional port", name: "PORT", value: "80.5", allowed: "expected a whole number from 0 to 65535" },
    { kind: "a port above range", name: "PORT", value: "65536", allowed: "expected a whole number from 0 to 65535" },
    { kind: "a port below range", name: "PORT", value: "-1", allowed: "expected a whole number from 0 to 65535" },
    {
      kind: "an out-of-range pool size",
      name: "DATABASE_POOL_MAX",
      value: "0",
      allowed: "expected a whole number from 1 to 1000",
    },
    { kind: "a bad boolean", name: "SEED_DEMO", value: "maybe", allowed: "expected true or false" },
    { kind: "a bad boolean", name: "CASCADE_SOFT_DELETE", value: "TRUE!", allowed: "expected true or false" },
    {
      kind: "a DATABASE_URL that is not a URL",
      name: "DATABASE_URL",
      value: "localhost:5432/app",
      allowed: "expected a URL like postgres://user:password@host:5432/database",
    },
    {
      kind: "a DATABASE_URL of another database",
      name: "DATABASE_URL",
      value: "mysql://localhost/app",
      allowed: "expected a URL like postgres://user:password@host:5432/database",
    },
    {
      kind: "a bad duration",
      name: "TOKEN_TTL",
      value: "12 hours",
      allowed: "expected a positive duration like 30m, 12h, 7d",
    },
    {
      kind: "a token lifetime of zero",
      name: "TOKEN_TTL",
      value: "off",
      allowed: "expected a positive duration like 30m, 12h, 7d",
    },
    { kind: "an unknown NODE_ENV", name: "NODE_ENV", value: "prod", allowed: '"production"' },
  ];

  it.each(cases)("$kind: $name=$value", ({ name, value, allowed }) => {
    const err = configError({ [name]: value });
    expect(err.problems).toHaveLength(1);
    const [problem] = err.problems;
    expect(problem).toContain(`${name}=${JSON.stringify(value)}`);
    expect(problem).toContain(allowed);
    expect(err.message).toContain(problem);
  });

  it("a short AUTH_SECRET names the variable, its length and the minimum, never the secret itself", () => {
    const err = configError({ AUTH_SECRET: "hunter2-is-short" });
    expect(err.problems).toHaveLength(1);
    expect(err.message).toContain("AUTH_SECRET=");
    expect(err.message).toContain("16 characters");
    expect(err.message).toContain("expected at least 32 characters");
    expect(err.message).not.toContain("hunter2");
  });

  it("a malformed DATABASE_URL is shown without its password", () => {
    const err = configError({ DATABASE_URL: "mysql://app:pa55word@db/app" });
    expect(err.message).toContain('DATABASE_URL="mysql://app:***@db/app"');
    expect(err.message).not.toContain("pa55word");
  });

  it("lists every bad variable at once", () => {
    const err = configError({ PORT: "abc", SEED_DEMO: "maybe", LOG_LEVEL: "loud" });
    expect(err.problems.map((p) => p.slice(0, p.indexOf("=")))).toEqual(["PORT", "SEED_DEMO", "LOG_LEVEL"]);
    for (const p of err.problems) expect(err.message).toContain(p);
  });
});

describe("production", () => {
  it("NODE_ENV=production without AUTH_SECRET fails, naming AUTH_SECRET", () => {
    const envs: Record<string, string>[] = [{ NODE_ENV: "production" }, { NODE_ENV: "production", AUTH_SECRET: "" }];
    for (const env of envs) {
      const err = configError(env);
      expect(err.problems).toHaveLength(1);
      expect(err.problems[0]).toContain("AUTH_SECRET is required when NODE_ENV=production");
    }
  });

  it("reports the missing AUTH_SECRET alongside other problems", () => {
    const err = configError({ NODE_ENV: "production", PORT: "abc" });
    expect(err.problems).toHaveLength(2);
    expect(err.message).toContain('PORT="abc"');
    expect(err.message).toContain("AUTH_SECRET is required when NODE_ENV=production");
  });

  it("a too-short AUTH_SECRET in production is reported once", () => {
    const err = configError({ NODE_ENV: "production", AUTH_SECRET: "short" });
    expect(err.problems).toHaveLength(1);
    expect(err.problems[0]).toContain("expected at least 32 characters");
  });

  it("NODE_ENV=production with a long enough AUTH_SECRET loads; outside production none is needed", () => {
    expect(loadConfig({ NODE_ENV: "production", AUTH_SECRET: SECRET })).toMatchObject({
      NODE_ENV: "production",
      AUTH_SECRET: SECRET,
    });
    expect(loadConfig({ NODE_ENV: "development" }).AUTH_SECRET).toBeUndefined();
  });
});
