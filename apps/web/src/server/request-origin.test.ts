import { describe, expect, it } from "vitest";
import { originFor } from "./request-origin.ts";

const h = (headers: Record<string, string>) => new Headers(headers);

describe("where emailed links point", () => {
  it("uses PROOFGRID_URL when it is set, whatever the request says", () => {
    expect(originFor(h({ host: "evil.example", "x-forwarded-host": "evil.example" }), "https://app.proofgrid.example/")).toBe("https://app.proofgrid.example");
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
