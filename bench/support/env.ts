/**
 * A bench's environment: its settings (each knob a bounded whole number; a value out of its range stops the bench
 * before it touches a database) and the machine's load when it starts.
 */
import os from "node:os";

/**
 * The whole number in `process.env[name]`, or `fallback` when it is unset or empty.
 * @throws RangeError when the value is not a whole number from `min` to `max`
 * @example envInt("BENCH_ROUNDS", 3, 1, 9) // 3 unless BENCH_ROUNDS says otherwise
 */
export function envInt(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new RangeError(`${name} must be a whole number from ${min} to ${max}, but got ${JSON.stringify(raw)}`);
  return n;
}

/** A progress line on stderr, prefixed with the bench's name: stdout carries only the bench's results. */
export const sayer =
  (bench: string) =>
  (line: string): void =>
    void process.stderr.write(`[${bench}] ${line}\n`);

/**
 * The 1-minute load average now, with a warning through `say` when it exceeds the cores: figures taken on a busy
 * machine come out low.
 */
export function loadAverageAtStart(say: (line: string) => void): number {
  const load = os.loadavg()[0]!;
  if (load > os.cpus().length)
    say(`warning: 1-minute load average is ${load.toFixed(1)} on ${os.cpus().length} cores; figures will be low`);
  return load;
}
