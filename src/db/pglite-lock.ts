/**
 * One process per embedded data directory. PGlite is a single-process database: two processes on one directory
 * both start, and the writes of one are silently lost. The first to open a directory writes its PID into
 * `<dir>/softdelete.lock` (created exclusively); a second finds a live PID there and refuses to start, naming it.
 * A lock left by a process that died is taken over. The lock goes with the process (released on close and on
 * exit).
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const LOCK_FILE = "softdelete.lock";

export class DirectoryLockedError extends Error {
  override name = "DirectoryLockedError";
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `the embedded database in ${dir} is in use by process ${pid}; stop that process first (PGlite is opened by one process at a time)`,
    );
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the directory's lock for this process.
 * @returns its release function (safe to call twice).
 * @throws DirectoryLockedError when a live process holds it.
 */
export function lockDirectory(dir: string): () => void {
  const file = join(dir, LOCK_FILE);
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: "wx" });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 2) throw err;
      const holder = Number(readFileSync(file, "utf8").trim());
      if (Number.isSafeInteger(holder) && holder > 0 && alive(holder)) throw new DirectoryLockedError(dir, holder);
      unlinkSync(file); // a lock left by a process that died
    }
  }
  const release = () => {
    process.off("exit", release);
    try {
      if (readFileSync(file, "utf8").trim() === String(process.pid)) unlinkSync(file);
    } catch {
      // gone already (the directory was deleted)
    }
  };
  process.on("exit", release);
  return release;
}

/** Whether the directory is still there and still ours (readiness). */
export function directoryIntact(dir: string): boolean {
  return existsSync(join(dir, "PG_VERSION")) && existsSync(join(dir, LOCK_FILE));
}
