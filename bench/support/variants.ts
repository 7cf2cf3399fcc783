/**
 * The defence-in-depth variants a bench measures the API in, side by side in one run: everything on (the
 * default), the audit hash chain off, row-level security off. Each runs on its own fresh database copy.
 */
import pg from "pg";
import { median } from "./stats.js";

export type Variant = "default" | "no-chain" | "no-rls";

export const VARIANTS: readonly Variant[] = ["default", "no-chain", "no-rls"];

export const VARIANT_LABEL: Record<Variant, string> = {
  default: "API (hash chain and RLS on)",
  "no-chain": "API, audit rows not hashed",
  "no-rls": "API, RLS off (ROW_LEVEL_SECURITY=false)",
};

/**
 * Prepares a database copy for `variant`: "no-chain" turns the chain triggers off (and lets seq/hash be
 * null), so audit rows are written exactly as before the hash chain. Only ever on a bench's throw-away copy.
 */
export async function prepareVariant(url: string, variant: Variant): Promise<void> {
  if (variant !== "no-chain") return;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_chain`);
    await client.query(`ALTER TABLE audit_log DISABLE TRIGGER audit_log_chain_head`);
    await client.query(`ALTER TABLE audit_log ALTER COLUMN seq DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL`);
  } finally {
    await client.end();
  }
}

/**
 * A markdown table: per variant and operation, the median rows/s of its rounds and its cost against the
 * default: how much faster the variant without the feature is (the feature's cost, in %).
 */
export function variantTable(
  operations: string[],
  ratesOf: (variant: Variant, operation: string) => number[],
  num: (n: number, digits?: number) => string,
): string[] {
  const lines = [
    `| variant | ${operations.map((o) => `${o}: rows/s (median)`).join(" | ")} | ${operations.map((o) => `${o}: cost of the feature`).join(" | ")} |`,
    `|---|${operations.map(() => "---:").join("|")}|${operations.map(() => "---:").join("|")}|`,
  ];
  for (const variant of VARIANTS) {
    const rates = operations.map((o) => median(ratesOf(variant, o)));
    const costs = operations.map((o, i) => {
      if (variant === "default") return "–";
      const base = median(ratesOf("default", o));
      // The default does more work than the variant: its cost is the share of time the feature adds.
      return `${num(100 * (rates[i]! / base - 1), 1)}%`;
    });
    lines.push(`| ${VARIANT_LABEL[variant]} | ${rates.map((r) => num(r)).join(" | ")} | ${costs.join(" | ")} |`);
  }
  return lines;
}

/**
 * One round of a bench: the API in every variant and the hand-written baseline, each once, appended to `into`.
 * The order rotates with `round`, so no side always runs on the warmest (or most loaded) machine.
 * @param prefix starts each side's label, e.g. "round 2" gives "round 2 API (no-rls)" and "round 2 SQL baseline"
 */
export async function runRound<R>(
  round: number,
  prefix: string,
  run: { api: (variant: Variant, label: string) => Promise<R>; baseline: (label: string) => Promise<R> },
  into: { variants: Record<Variant, R[]>; baseline: R[] },
  show: (label: string, result: R) => void,
): Promise<void> {
  const sides = [
    ...VARIANTS.map((variant) => async () => {
      const label = `${prefix} API${variant === "default" ? "" : ` (${variant})`}`;
      const r = await run.api(variant, label);
      into.variants[variant].push(r);
      show(label, r);
    }),
    async () => {
      const label = `${prefix} SQL baseline`;
      const r = await run.baseline(label);
      into.baseline.push(r);
      show(label, r);
    },
  ];
  for (let i = 0; i < sides.length; i++) await sides[(i + round - 1) % sides.length]!();
}
