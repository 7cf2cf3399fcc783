/** A pino logger that keeps its records, so a test can assert what was (not) logged as an error. */
import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

export function recordingLogger(): { log: Logger; records: { level: number; msg?: string; err?: unknown }[] } {
  const records: { level: number; msg?: string; err?: unknown }[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split("\n")) if (line) records.push(JSON.parse(line) as never);
      done();
    },
  });
  return { log: pino({ level: "info" }, sink), records };
}

/** Records at level error (50) or above. */
export const errorsIn = <R extends { level: number }>(records: R[]): R[] => records.filter((r) => r.level >= 50);
