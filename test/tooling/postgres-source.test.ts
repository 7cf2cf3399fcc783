import { describe, expect, test } from "vitest";
import { choosePostgres } from "../support/postgres-source.js";

const URL = "postgres://postgres@127.0.0.1:5432/test";
const answers = async () => {};
const absent = async () => {
  throw new Error("connect ENOENT /var/run/docker.sock");
};
const hangs = () => new Promise<never>(() => {});
const unexpected = async () => {
  throw new Error("the runtime was asked, but the choice did not depend on it");
};

describe("which PostgreSQL `npm test` uses", () => {
  test("TEST_DATABASE_URL when set, without asking for a container runtime", async () => {
    const choice = await choosePostgres({ TEST_DATABASE_URL: URL }, { detect: unexpected });
    expect(choice).toMatchObject({ source: "url", url: URL });
  });

  test("else a container when a runtime answers", async () => {
    expect(await choosePostgres({}, { detect: answers })).toMatchObject({ source: "container" });
  });

  test("else none, with one line saying why the PostgreSQL-only tests are skipped", async () => {
    const choice = await choosePostgres({}, { detect: absent });
    expect(choice.source).toBe("off");
    expect(choice.note).toContain("ENOENT /var/run/docker.sock");
    expect(choice.note).toContain("PostgreSQL-only tests are skipped");
  });

  test("a runtime that never answers counts as none: the run does not hang", async () => {
    const choice = await choosePostgres({}, { detect: hangs, timeoutMs: 50 });
    expect(choice.source).toBe("off");
    expect(choice.note).toContain("no answer within");
  });

  test("TEST_POSTGRES forces a choice over TEST_DATABASE_URL and the runtime", async () => {
    expect(
      await choosePostgres({ TEST_POSTGRES: "off", TEST_DATABASE_URL: URL }, { detect: unexpected }),
    ).toMatchObject({ source: "off" });
    expect(
      await choosePostgres({ TEST_POSTGRES: "container", TEST_DATABASE_URL: URL }, { detect: answers }),
    ).toMatchObject({ source: "container" });
    expect(
      await choosePostgres({ TEST_POSTGRES: "url", TEST_DATABASE_URL: URL }, { detect: unexpected }),
    ).toMatchObject({ source: "url", url: URL });
  });

  test("a forced choice that cannot be had is an error, never a silent fallback", async () => {
    await expect(choosePostgres({ TEST_POSTGRES: "container" }, { detect: absent })).rejects.toThrow(
      /TEST_POSTGRES=container.*ENOENT/,
    );
    await expect(choosePostgres({ TEST_POSTGRES: "url" }, { detect: unexpected })).rejects.toThrow(/TEST_DATABASE_URL/);
    await expect(choosePostgres({ TEST_POSTGRES: "docker" }, { detect: unexpected })).rejects.toThrow(
      /off, container, url.*"docker"/,
    );
  });
});
