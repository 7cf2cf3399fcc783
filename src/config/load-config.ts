import { SETTINGS, type Config, type SettingName } from "./settings.js";

/** A setting that failed validation: names the variable, the value received and what is allowed. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  ${problems.join("\n  ")}`);
    this.name = "ConfigError";
  }
}

/**
 * Reads and validates every setting from `env`; unknown variables are ignored, empty ones count as unset.
 * @throws ConfigError listing every bad variable at once.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, s] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    const raw = env[name] === "" ? undefined : env[name];
    const fallback = "defaultFrom" in s && s.defaultFrom ? s.defaultFrom(env) : "default" in s ? s.default : undefined;
    const value = raw ?? fallback;
    const parsed = s.schema.safeParse(value);
    if (parsed.success) out[name] = parsed.data;
    else {
      const why = parsed.error.issues.map((i) => i.message).join("; ");
      problems.push(`${name}=${shown(raw, s.secret === true)} is not allowed: ${why}`);
    }
  }
  const config = out as Config;
  // Checked whatever else failed, so one run lists every problem (a too-short secret is listed already).
  if (config.NODE_ENV === "production" && "AUTH_SECRET" in out && !config.AUTH_SECRET) {
    problems.push("AUTH_SECRET is required when NODE_ENV=production (at least 32 characters)");
  }
  for (const name of ["DATABASE_DIRECT_URL", "DATABASE_REPLICA_URLS", "DATABASE_OWNER_URL"] as const)
    if (config[name] !== undefined && !config.DATABASE_URL)
      problems.push(`${name} is set but DATABASE_URL is not: both describe a PostgreSQL deployment`);
  if (config.NODE_ENV === "production" && config.CORS_ORIGINS?.includes("*")) {
    problems.push("CORS_ORIGINS=* is not allowed when NODE_ENV=production: list the origins");
  }
  if (problems.length) throw new ConfigError(problems);
  return config;
}

/** Whether introspection is on: `INTROSPECTION` when set, otherwise on everywhere but production. */
export function introspectionEnabled(config: Pick<Config, "INTROSPECTION" | "NODE_ENV">): boolean {
  return config.INTROSPECTION ?? config.NODE_ENV !== "production";
}

/** The received value as an error message may show it: never a secret, nor a URL's password. */
function shown(raw: string | undefined, secret: boolean): string {
  if (raw === undefined) return "null";
  if (secret) return `(hidden, ${raw.length} characters)`;
  return JSON.stringify(raw.replace(/(\/\/[^/@:\s]*):\S*@/, "$1:***@"));
}

/** The README configuration table, generated from SETTINGS. */
export function configTableMarkdown(): string {
  const rows = Object.entries(SETTINGS).map(([name, s]) => {
    const def =
      "defaultDoc" in s && s.defaultDoc
        ? s.defaultDoc
        : "default" in s && s.default !== undefined
          ? `\`${s.default}\``
          : "(unset)";
    return `| ${s.group} | \`${name}\` | ${def} | ${s.doc} |`;
  });
  return ["| Group | Variable | Default | Meaning |", "|---|---|---|---|", ...rows].join("\n");
}
