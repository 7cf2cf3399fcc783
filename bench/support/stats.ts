/** The figures' arithmetic and formatting, the same in every bench's tables. */

/** Median of `values` (the mean of the middle two for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * `n` with thousands separators and exactly `digits` decimals.
 * @example num(12345.678, 1) // "12,345.7"
 */
export const num = (n: number, digits = 0): string =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * The `p`-th percentile of `values` by the nearest-rank method (the smallest value with at least p% of the values at
 * or below it); NaN when there are none.
 * @example percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99) // 10
 */
export function percentile(values: number[], p: number): number {
  if (!values.length) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1]!;
}
