import { describe, expect, it } from "vitest";
import { isCrossSite, originFor, secureCookiesFor, trustedOriginsFor } from "./request-origin.ts";

const h = (headers: Record<string, string>) => new Headers(headers);

describe("where emailed links point", () => {
  it("uses PROOFGRID_URL when it is set, whatever the request says", () => {
    expect(originFor(h({ host: "evil.example", "x-forwarded-host": "evil.example" }), "https://app.proofgrid.example/")).toBe(
      "https://app.proofgrid.example",
    );
  });

  it("without it, trusts only a loopback Host, never X-Forwarded-Host (password-reset poisoning)", () => {
    expect(originFor(h({ host: "localhost:3000" }), undefined)).toBe("http://localhost:3000");
    expect(originFor(h({ host: "127.0.0.1:41234" }), undefined)).toBe("http://127.0.0.1:41234");
    expect(originFor(h({ host: "[::1]:3000" }), undefined)).toBe("http://[::1]:3000");
    expect(originFor(h({ host: "evil.example" }), undefined)).toBeNull();
    expect(originFor(h({ host: "localhost.evil.example" }), undefined)).toBeNull();
    expect(originFor(h({ host: "localhost:3000", "x-forwarded-host": "evil.example" }), undefined)).toBe("http://localhost:3000");
    expect(originFor(null, undefined)).toBeNull();
  });
});

describe("which pages may make cookie-bearing requests", () => {
  it("without PROOFGRID_URL: the loopback origins of the served port, over http, and nothing else", () => {
    expect(trustedOriginsFor(undefined, "3000")).toEqual(["http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"]);
    expect(trustedOriginsFor(undefined, 80)).toEqual(["http://localhost", "http://127.0.0.1", "http://[::1]"]);
    // No served port known (not under `next start`): nothing is trusted.
    expect(trustedOriginsFor(undefined, undefined)).toEqual([]);
    expect(trustedOriginsFor(undefined, "0")).toEqual([]);
  });

  it("with PROOFGRID_URL: that origin only", () => {
    expect(trustedOriginsFor("https://app.proofgrid.example/", "3000")).toEqual(["https://app.proofgrid.example"]);
    expect(trustedOriginsFor("http://10.0.0.5:3000", "3000")).toEqual(["http://10.0.0.5:3000"]);
  });

  it("compares scheme, host and port: https://localhost is another site than http://localhost:3000", () => {
    const trusted = trustedOriginsFor(undefined, 3000);
    const cross = (origin?: string, extra: Record<string, string> = {}) =>
      isCrossSite(new Headers({ host: "localhost:3000", ...extra, ...(origin === undefined ? {} : { origin }) }), trusted);
    expect(cross("http://localhost:3000")).toBe(false);
    expect(cross("http://127.0.0.1:3000")).toBe(false);
    expect(cross("http://[::1]:3000")).toBe(false);
    expect(cross("https://localhost")).toBe(true);
    expect(cross("https://localhost:3000")).toBe(true);
    expect(cross("http://localhost:3001")).toBe(true);
    expect(cross("http://localhost")).toBe(true);
    expect(cross("http://evil.example")).toBe(true);
    expect(cross("null")).toBe(true);
    expect(cross("not a url")).toBe(true);
    // Forwarding headers name nothing trusted.
    expect(cross("https://evil.example", { "x-forwarded-host": "evil.example", "x-forwarded-proto": "https" })).toBe(true);
    // Same host as the Host header is not enough: the old check passed these.
    expect(isCrossSite(new Headers({ host: "evil.example", origin: "http://evil.example" }), trusted)).toBe(true);
    // No Origin: a navigation or a server-side call, not another site's fetch.
    expect(cross(undefined)).toBe(false);
  });

  it("sets __Secure- cookies only when the site is served over https", () => {
    expect(secureCookiesFor(undefined)).toBe(false);
    expect(secureCookiesFor("http://10.0.0.5:3000")).toBe(false);
    expect(secureCookiesFor("https://app.proofgrid.example")).toBe(true);
  });
});
