import { describe, expect, it } from "vitest";
import { MAX_ATTEMPTS, nextStep, RETRY_DELAYS_S } from "./deliver-webhooks.ts";
import { isNonPublicAddress } from "../../http/outbound.ts";
import { parseWebhookUrl } from "./webhook-url.ts";

describe("isNonPublicAddress", () => {
  it.each([
    "127.0.0.1",
    "10.0.0.1",
    "172.16.5.4",
    "172.31.255.255",
    "192.168.1.1",
    "169.254.169.254",
    "100.64.0.1",
    "0.0.0.0",
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fd12:3456::1",
    "::ffff:127.0.0.1",
    "::ffff:7f00:1",
    "::ffff:a9fe:a9fe",
    "not-an-address",
  ])("refuses %s", (a) => expect(isNonPublicAddress(a)).toBe(true));

  it.each(["93.184.215.14", "8.8.8.8", "172.32.0.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])("allows %s", (a) =>
    expect(isNonPublicAddress(a)).toBe(false));
});

describe("parseWebhookUrl", () => {
  it("takes https, and http only to localhost with the development flag", () => {
    expect(parseWebhookUrl("https://example.com/a#frag", { allowLocal: false }).href).toBe("https://example.com/a");
    expect(() => parseWebhookUrl("http://example.com/a", { allowLocal: false })).toThrow(/https/);
    expect(() => parseWebhookUrl("http://localhost:3000/a", { allowLocal: false })).toThrow(/https/);
    expect(parseWebhookUrl("http://localhost:3000/a", { allowLocal: true }).host).toBe("localhost:3000");
    expect(parseWebhookUrl("http://127.0.0.1:3000/a", { allowLocal: true }).host).toBe("127.0.0.1:3000");
    expect(() => parseWebhookUrl("http://10.0.0.1/a", { allowLocal: true })).toThrow(/https/);
    expect(() => parseWebhookUrl("file:///etc/passwd", { allowLocal: true })).toThrow(/https/);
    expect(() => parseWebhookUrl(`https://example.com/${"x".repeat(2_100)}`, { allowLocal: false })).toThrow(/2048/);
  });
});

describe("the retry schedule", () => {
  it("retries after 5 s, 30 s, 2 min, 10 min, 1 h … and gives up after about 22 h", () => {
    expect(nextStep({ attempt: 1, ok: false })).toEqual({ outcome: "pending", retryInS: 5 });
    expect(nextStep({ attempt: 2, ok: false })).toEqual({ outcome: "pending", retryInS: 30 });
    expect(nextStep({ attempt: 3, ok: false })).toEqual({ outcome: "pending", retryInS: 120 });
    expect(nextStep({ attempt: MAX_ATTEMPTS, ok: false })).toEqual({ outcome: "failed", retryInS: 0 });
    expect(nextStep({ attempt: 4, ok: true }).outcome).toBe("delivered");
    const total = RETRY_DELAYS_S.reduce((s, d) => s + d, 0);
    expect(total / 3_600).toBeGreaterThan(20);
    expect(total / 3_600).toBeLessThan(24);
  });
});
