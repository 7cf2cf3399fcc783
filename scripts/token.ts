/**
 * Prints one bearer token on stdout, and nothing else:
 *
 *   npm run token -- --sub admin@demo.test --role ADMIN --org demo [--ttl 1h]
 *
 * The secret is AUTH_SECRET from the environment or an optional `.env`; the lifetime defaults to TOKEN_TTL.
 * It never opens the database, so it neither checks that the organization exists nor that the subject is a
 * user. Exit codes: 0 printed, 1 environment problem (AUTH_SECRET or TOKEN_TTL), 2 usage error.
 */
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import dotenv from "dotenv";
import { isRole, ROLES } from "../src/auth/roles.js";
import { signToken } from "../src/auth/token.js";
import { ConfigError, loadConfig } from "../src/config/load-config.js";
import { SETTINGS } from "../src/config/settings.js";

export interface Output {
  stdout(line: string): void;
  stderr(line: string): void;
}

const processOutput: Output = {
  stdout: (line) => void process.stdout.write(`${line}\n`),
  stderr: (line) => void process.stderr.write(`${line}\n`),
};

const ROLE_LIST = ROLES.join(", ");
const USAGE = `usage: npm run token -- --sub <subject> --role ${ROLES.join("|")} --org <organization slug> [--ttl 12h]`;

export const EXIT_OK = 0;
export const EXIT_ENVIRONMENT = 1;
export const EXIT_USAGE = 2;

/**
 * Runs the command on `argv` (without node and the script) against `env`; returns the exit code.
 * `env` is read as given: loading `.env` is the entry point's job, so a caller controls what is seen.
 */
export async function main(argv: string[], env: NodeJS.ProcessEnv, out: Output = processOutput): Promise<number> {
  let values: { sub?: string; role?: string; org?: string; ttl?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        sub: { type: "string" },
        role: { type: "string" },
        org: { type: "string" },
        ttl: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    out.stderr(`token: ${err instanceof Error ? err.message : String(err)}; ${USAGE}`);
    return EXIT_USAGE;
  }
  if (values.help) {
    out.stdout(USAGE);
    return EXIT_OK;
  }

  const usage = (problem: string) => {
    out.stderr(`token: ${problem}; ${USAGE}`);
    return EXIT_USAGE;
  };
  if (!values.sub) return usage("--sub is required (the subject acting, e.g. admin@demo.test)");
  if (!values.role) return usage(`--role is required, one of ${ROLE_LIST}`);
  if (!isRole(values.role)) return usage(`--role must be one of ${ROLE_LIST}, but got ${JSON.stringify(values.role)}`);
  if (!values.org) return usage("--org is required (the organization's slug, e.g. demo)");
  let ttlMs: number | undefined;
  if (values.ttl !== undefined) {
    const parsed = SETTINGS.TOKEN_TTL.schema.safeParse(values.ttl);
    if (!parsed.success || parsed.data === 0)
      return usage(`--ttl must be a duration like 30m, 12h or 7d, but got ${JSON.stringify(values.ttl)}`);
    ttlMs = parsed.data;
  }

  // Only the settings this command uses: a problem elsewhere in the environment is the server's to report.
  let config;
  try {
    config = loadConfig({ AUTH_SECRET: env.AUTH_SECRET, TOKEN_TTL: env.TOKEN_TTL });
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    out.stderr(`token: ${err.problems.join("; ")}`);
    return EXIT_ENVIRONMENT;
  }
  const secret = config.AUTH_SECRET;
  if (!secret) {
    out.stderr(
      "token: AUTH_SECRET is not set; without it the server makes a random secret at every start, which no token " +
        "made here would match, so set AUTH_SECRET (at least 32 characters) in the environment or in .env for both",
    );
    return EXIT_ENVIRONMENT;
  }
  ttlMs ??= config.TOKEN_TTL;
  if (ttlMs === 0) {
    out.stderr("token: TOKEN_TTL=off gives tokens no lifetime; pass --ttl or set TOKEN_TTL to a duration like 12h");
    return EXIT_ENVIRONMENT;
  }

  out.stdout(await signToken({ sub: values.sub, role: values.role, org: values.org }, secret, ttlMs));
  return EXIT_OK;
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  // quiet: dotenv would otherwise announce what it loaded, and stdout carries the token alone.
  dotenv.config({ quiet: true });
  process.exitCode = await main(process.argv.slice(2), process.env);
}
