/** Headless Chromium for browser tests (Debian's /usr/bin/chromium): a test that runs where it is installed, and a browser with a throwaway profile. */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { test } from "vitest";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

/** A test that is skipped, and says why in its name, where Chromium is not installed. */
export const browserTest = (name: string, timeout: number, fn: () => Promise<void>) =>
  test.skipIf(!hasChromium)(`${name}${hasChromium ? "" : ` (skipped: ${CHROMIUM} not installed)`}`, { timeout }, fn);

export interface Chromium {
  context: BrowserContext;
  /** Ends the browser and removes its profile. */
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile (under the system temp directory, named after `name`). */
export async function launchChromium(
  name: string,
  options: { timeout: number; viewport?: { width: number; height: number } },
): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), `${name}-chromium-`));
  const remove = () => rmSync(profile, { recursive: true, force: true });
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: options.timeout,
      ...(options.viewport ? { viewport: options.viewport } : {}),
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
    return { context, close: async () => (await context.close(), remove()) };
  } catch (err) {
    remove();
    throw err;
  }
}
