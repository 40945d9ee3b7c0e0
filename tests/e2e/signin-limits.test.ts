import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveClientAddress } from "../../apps/web/src/server/http/client-address.ts";
import { type Stack, startStack } from "../support/stack.ts";

// Issue 11 finding 4: sign-in limits against the built web app, started as `npm start`
// starts it (web-server.ts, with its client-address stamp). An attacker who sends a new
// X-Forwarded-For with every try used to look like a new client each time: 30 wrong
// passwords, no 429, then the right one worked. Now the address is the socket's (a
// forwarded address counts only from TRUSTED_PROXIES) and the account itself locks.

let stack: Stack;
const EMAIL = "limits@example.com";
const PASSWORD = "a long enough passphrase 42";

beforeAll(async () => {
  stack = await startStack({ coordinator: false });
  const res = await fetch(`${stack.url}/api/auth/sign-up/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: stack.url },
    body: JSON.stringify({ name: "Lim Its", email: EMAIL, password: PASSWORD }),
  });
  expect(res.status, await res.text()).toBe(200);
}, 300_000);
afterAll(async () => {
  await stack?.stop();
});

/** A sign-in as the sign-in page sends it, from a forged forwarded address. */
async function signIn(password: string, forwardedFor: string, email = EMAIL) {
  const res = await fetch(`${stack.url}/api/auth/sign-in/email`, {
    method: "POST",
    headers: { "content-type": "application/json", origin: stack.url, "x-forwarded-for": forwardedFor },
    body: JSON.stringify({ email, password }),
  });
  return { status: res.status, retryAfter: res.headers.get("retry-after") };
}

describe("sign-in limits", () => {
  it("a new X-Forwarded-For on every try does not reset them: the account locks, even for the right password", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++) statuses.push((await signIn(`wrong guess ${i}`, `203.0.113.${i + 1}`)).status);
    // The first five wrong passwords are plain 401s; from then on the account is locked.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(
      statuses.slice(5).every((s) => s === 429),
      JSON.stringify(statuses),
    ).toBe(true);
    const right = await signIn(PASSWORD, "198.51.100.7");
    expect(right.status).toBe(429);
    expect(Number(right.retryAfter)).toBeGreaterThan(0);
  });

  it("counts tries per client address across accounts, whatever address the client claims", async () => {
    // Another 60 tries against accounts that do not exist, each claiming a new address:
    // they all come from this one socket address, whose limit (60 per 10 min) runs out.
    const statuses: number[] = [];
    for (let i = 0; i < 61; i++)
      statuses.push((await signIn("whatever it is", `192.0.2.${(i % 250) + 1}`, `nobody-${i}@example.com`)).status);
    expect(statuses.filter((s) => s === 429).length, JSON.stringify(statuses)).toBeGreaterThan(0);
    expect(statuses.at(-1)).toBe(429);
  });

  it("honours X-Forwarded-For only from a trusted proxy", () => {
    // No proxy trusted: the socket's address, whatever the header says.
    expect(resolveClientAddress("127.0.0.1", "203.0.113.9", undefined)).toBe("127.0.0.1");
    // The peer is a trusted proxy: the nearest address it was not told to trust.
    expect(resolveClientAddress("10.0.0.2", "203.0.113.9", "10.0.0.0/8")).toBe("203.0.113.9");
    expect(resolveClientAddress("10.0.0.2", "198.51.100.1, 203.0.113.9, 10.0.0.5", "10.0.0.0/8")).toBe("203.0.113.9");
    // An untrusted peer's header is ignored even if it names a trusted proxy.
    expect(resolveClientAddress("192.0.2.1", "10.0.0.2", "10.0.0.0/8")).toBe("192.0.2.1");
  });
});
