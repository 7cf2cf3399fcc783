/**
 * Bearer tokens: signing and verifying, each way a token is refused (with its reason), the Authorization
 * header parser, and the `npm run token` command driven through its `main`.
 */
import { CompactSign, decodeJwt, SignJWT } from "jose";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main, type Output } from "../../scripts/token.js";
import { ROLES, roleAtLeast, type Role } from "../../src/auth/roles.js";
import { InvalidTokenError, parseBearer, signToken, verifyToken } from "../../src/auth/token.js";

const SECRET = "test-secret-0123456789-abcdefghijklmnop";
const OTHER_SECRET = "another-secret-0123456789-abcdefghijklm";
const CLAIMS = { sub: "admin@demo.test", role: "ADMIN" as Role, org: "demo" };
const HOUR = 3_600_000;

afterEach(() => {
  vi.useRealTimers();
});

/** A token signed with `secret` carrying exactly `payload` (plus iat, and exp unless `exp: false`). */
async function rawToken(payload: Record<string, unknown>, opts: { exp?: boolean; secret?: string } = {}) {
  const jwt = new SignJWT(payload).setProtectedHeader({ alg: "HS256" }).setIssuedAt();
  if (opts.exp !== false) jwt.setExpirationTime("1h");
  return jwt.sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

/** The reason verifyToken gives for `token`; fails the test when it does not throw InvalidTokenError. */
async function refusal(token: string, secret = SECRET): Promise<string> {
  const err = await verifyToken(token, secret).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidTokenError);
  return (err as InvalidTokenError).reason;
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

describe("roleAtLeast", () => {
  it("orders VIEWER < EDITOR < ADMIN", () => {
    const table = ROLES.map((role) => ROLES.map((min) => roleAtLeast(role, min)));
    expect(table).toEqual([
      [true, false, false],
      [true, true, false],
      [true, true, true],
    ]);
  });
});

describe("signToken and verifyToken", () => {
  it("round-trip the claims, with an expiry ttl after issue", async () => {
    const token = await signToken(CLAIMS, SECRET, 2 * HOUR);
    expect(await verifyToken(token, SECRET)).toEqual({ ...CLAIMS, exp: decodeJwt(token).exp });
    const payload = decodeJwt(token);
    expect(payload.exp! - payload.iat!).toBe(2 * 3600);
    for (const role of ROLES)
      expect((await verifyToken(await signToken({ ...CLAIMS, role }, SECRET, HOUR), SECRET)).role).toBe(role);
  });

  it("refuses a token once its ttl has passed", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date("2030-01-01T00:00:00Z"));
    const token = await signToken(CLAIMS, SECRET, 60_000);
    vi.setSystemTime(new Date("2030-01-01T00:00:59Z"));
    expect(await verifyToken(token, SECRET)).toEqual({ ...CLAIMS, exp: decodeJwt(token).exp });
    vi.setSystemTime(new Date("2030-01-01T00:01:01Z"));
    expect(await refusal(token)).toBe("expired");
  });

  it("refuses a token whose payload was changed after signing", async () => {
    const token = await signToken({ ...CLAIMS, role: "VIEWER" }, SECRET, HOUR);
    const [header, payload, signature] = token.split(".");
    const raised = b64({ ...JSON.parse(Buffer.from(payload!, "base64url").toString()), role: "ADMIN" });
    expect(await refusal(`${header}.${raised}.${signature}`)).toBe("bad signature");
  });

  it("refuses a token signed with another secret", async () => {
    const token = await signToken(CLAIMS, OTHER_SECRET, HOUR);
    expect(await refusal(token)).toBe("bad signature");
  });

  it("refuses an unsigned (alg none) token", async () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const token = `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...CLAIMS, exp })}.`;
    expect(await refusal(token)).toBe("bad signature");
  });

  it.each(["sub", "role", "org"])("refuses a token without %s", async (claim) => {
    const payload: Record<string, unknown> = { ...CLAIMS };
    delete payload[claim];
    expect(await refusal(await rawToken(payload))).toBe(`missing claim ${claim}`);
    expect(await refusal(await rawToken({ ...CLAIMS, [claim]: "" }))).toBe(`missing claim ${claim}`);
  });

  it("refuses a token without an expiry", async () => {
    expect(await refusal(await rawToken({ ...CLAIMS }, { exp: false }))).toBe("missing claim exp");
  });

  it("refuses an unknown role, naming it", async () => {
    expect(await refusal(await rawToken({ ...CLAIMS, role: "ROOT" }))).toBe("unknown role ROOT");
    expect(await refusal(await rawToken({ ...CLAIMS, role: "admin" }))).toBe("unknown role admin");
  });

  it.each(["", "not-a-token", "a.b.c", "a.b.c.d.e"])("refuses %j as malformed", async (token) => {
    expect(await refusal(token)).toBe("malformed");
  });

  it("refuses a correctly signed token whose payload is not a claims object", async () => {
    const key = new TextEncoder().encode(SECRET);
    for (const body of ["not json", "[1,2]"]) {
      const token = await new CompactSign(new TextEncoder().encode(body))
        .setProtectedHeader({ alg: "HS256" })
        .sign(key);
      expect(await refusal(token)).toBe("malformed");
    }
  });

  it("refuses to sign without a lifetime, and to use a short secret", async () => {
    await expect(signToken(CLAIMS, SECRET, 0)).rejects.toBeInstanceOf(RangeError);
    await expect(signToken(CLAIMS, "short", HOUR)).rejects.toBeInstanceOf(RangeError);
    await expect(verifyToken(await signToken(CLAIMS, SECRET, HOUR), "short")).rejects.toBeInstanceOf(RangeError);
  });
});

describe("parseBearer", () => {
  it.each([
    ["Bearer abc.def.ghi", "abc.def.ghi"],
    ["bearer abc.def.ghi", "abc.def.ghi"],
    ["BEARER   abc.def.ghi  ", "abc.def.ghi"],
    // A garbled token is still a token: verifyToken refuses it, rather than the request going anonymous.
    ["Bearer not a jwt", "not a jwt"],
    [undefined, undefined],
    ["", undefined],
    ["Bearer", undefined],
    ["Bearer    ", undefined],
    ["Basic dXNlcjpwYXNz", undefined],
    ["abc.def.ghi", undefined],
    ["Bearerabc.def.ghi", undefined],
  ])("%j → %j", (header, token) => {
    expect(parseBearer(header)).toBe(token);
  });
});

describe("the token command", () => {
  async function run(argv: string[], env: NodeJS.ProcessEnv) {
    const stdout: string[] = [];
    const stderr: string[] = [];
    const out: Output = { stdout: (l) => void stdout.push(l), stderr: (l) => void stderr.push(l) };
    const code = await main(argv, env, out);
    return { code, stdout, stderr };
  }
  const ARGS = ["--sub", "alice@demo.test", "--role", "EDITOR", "--org", "demo"];

  it("prints exactly one token, which verifies with AUTH_SECRET, living TOKEN_TTL by default", async () => {
    const r = await run(ARGS, { AUTH_SECRET: SECRET, TOKEN_TTL: "30m" });
    expect(r).toMatchObject({ code: 0, stderr: [] });
    expect(r.stdout).toHaveLength(1);
    expect(await verifyToken(r.stdout[0]!, SECRET)).toMatchObject({
      sub: "alice@demo.test",
      role: "EDITOR",
      org: "demo",
    });
    const payload = decodeJwt(r.stdout[0]!);
    expect(payload.exp! - payload.iat!).toBe(30 * 60);
  });

  it("takes the lifetime from --ttl, and defaults to 12h without TOKEN_TTL", async () => {
    const withFlag = await run([...ARGS, "--ttl", "1h"], { AUTH_SECRET: SECRET, TOKEN_TTL: "30m" });
    const p1 = decodeJwt(withFlag.stdout[0]!);
    expect(p1.exp! - p1.iat!).toBe(3600);
    const byDefault = await run(ARGS, { AUTH_SECRET: SECRET });
    const p2 = decodeJwt(byDefault.stdout[0]!);
    expect(p2.exp! - p2.iat!).toBe(12 * 3600);
  });

  it("exits 1 without AUTH_SECRET (or with a short one), printing no token", async () => {
    for (const env of [{}, { AUTH_SECRET: "" }, { AUTH_SECRET: "too-short" }]) {
      const r = await run(ARGS, env);
      expect(r.code).toBe(1);
      expect(r.stdout).toEqual([]);
      expect(r.stderr).toHaveLength(1);
      expect(r.stderr[0]).toContain("AUTH_SECRET");
      expect(r.stderr[0]).not.toContain("too-short");
    }
  });

  it("exits 1 when TOKEN_TTL gives no usable lifetime", async () => {
    for (const TOKEN_TTL of ["off", "soon"]) {
      const r = await run(ARGS, { AUTH_SECRET: SECRET, TOKEN_TTL });
      expect(r).toMatchObject({ code: 1, stdout: [] });
      expect(r.stderr[0]).toContain("TOKEN_TTL");
    }
  });

  it("exits 2 on a bad role, naming the flag and the allowed values", async () => {
    const r = await run(["--sub", "alice", "--role", "ROOT", "--org", "demo"], { AUTH_SECRET: SECRET });
    expect(r).toMatchObject({ code: 2, stdout: [] });
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toContain("--role");
    for (const role of ROLES) expect(r.stderr[0]).toContain(role);
  });

  it.each([
    ["--sub", ["--role", "ADMIN", "--org", "demo"]],
    ["--role", ["--sub", "alice", "--org", "demo"]],
    ["--org", ["--sub", "alice", "--role", "ADMIN"]],
    ["--ttl", [...ARGS, "--ttl", "forever"]],
    ["--ttl", [...ARGS, "--ttl", "off"]],
    ["--nope", [...ARGS, "--nope"]],
  ])("exits 2 on a missing or bad %s, before looking at the environment", async (flag, argv) => {
    const r = await run(argv, {});
    expect(r).toMatchObject({ code: 2, stdout: [] });
    expect(r.stderr).toHaveLength(1);
    expect(r.stderr[0]).toContain(flag);
  });
});
