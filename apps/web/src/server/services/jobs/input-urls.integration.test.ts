import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { sql } from "@proofgrid/db/sql-client";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as submitRoute } from "~/app/api/v1/jobs/route";
import { createApiKey } from "../../auth/api-keys.ts";
import { API_SCOPES } from "../../auth/scopes.ts";
import { createOrg, setupServiceDatabase } from "../../testing/service-database.ts";
import { resolveInputUrls } from "./input-urls.ts";

// Inputs given by URL (issue 16), through the real submit route and a real Postgres, from a
// real HTTP server in the test. The file's host is this machine, so the file runs with
// INPUT_URL_ALLOW_LOCAL=1 (development's setting); the refusals of the production rules are
// checked by calling resolveInputUrls with allowLocal off.

let key: string;
let customer: string;
let server: Server;
let base: string;
let photo: Buffer;
const served = { hits: 0 };

const db = setupServiceDatabase({ name: "inputurls", env: { INPUT_URL_ALLOW_LOCAL: "1" } });

beforeAll(async () => {
  await db.t.prisma.model.create({
    data: {
      id: randomBytes(32).toString("hex"),
      slug: "ocr-ppocr-v4",
      name: "ocr",
      kind: "ocr",
      description: "",
      signature: {},
      baseCostMilliCu: 10,
    },
  });
  customer = await createOrg("customer", "customer", 1_000_000_000_000n);
  key = (await createApiKey({ orgId: customer, name: "k", scopes: [...API_SCOPES] })).key;
  photo = await sharp({ create: { width: 5000, height: 1000, channels: 3, background: "#eeeeee" } })
    .png()
    .toBuffer();
  server = createServer((req, res) => {
    served.hits++;
    if (req.url === "/page.png") return res.writeHead(200, { "content-type": "image/png" }).end(photo);
    if (req.url === "/moved") return res.writeHead(302, { location: "/page.png" }).end();
    if (req.url === "/huge") {
      res.writeHead(200);
      const chunk = Buffer.alloc(1024 * 1024);
      let sent = 0;
      const more = () => {
        while (sent < 40 && res.write(chunk)) sent++;
        if (sent < 40) res.once("drain", more);
        else res.end();
      };
      return more();
    }
    res.writeHead(404).end("no such file");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function submit(input: unknown) {
  const res = await submitRoute(
    new Request("http://127.0.0.1/api/v1/jobs", {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ model: "ocr-ppocr-v4", input }),
    }),
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { error?: { message: string } } };
}
const jobCount = () => db.t.prisma.job.count({ where: { orgId: customer } });

describe("inputs given by URL", () => {
  it("imageUrl: the file is fetched once, converted to fit, and the job holds the file, not the URL", async () => {
    const hits = served.hits;
    const res = await submit({ imageUrl: `${base}/page.png` });
    expect(res.status).toBe(201);
    expect(served.hits - hits).toBe(1);
    expect(res.body.inputAdjustments).toEqual([
      `image fetched from ${new URL(base).host} (${photo.length} bytes)`,
      "image scaled from 5000×1000 to 4096×819 px (at most 4096 px a side)",
    ]);
    const [row] = await sql().$queryRaw<
      { input: Record<string, string> }[]
    >`SELECT input FROM job_payloads WHERE job_id = ${res.body.id as string}::uuid`;
    expect(Object.keys(row?.input ?? {})).toEqual(["image"]);
    expect((await sharp(Buffer.from(row?.input.image ?? "", "base64")).metadata()).width).toBe(4096);
  });

  it("a 404, a redirect, an oversized file and a dead host are each a clear 4xx with no job", async () => {
    const before = await jobCount();
    expect(await submit({ imageUrl: `${base}/gone.png` })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/answered HTTP 404/) } },
    });
    expect(await submit({ imageUrl: `${base}/moved` })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/redirect \(302\)/) } },
    });
    expect(await submit({ imageUrl: `${base}/huge` })).toMatchObject({
      status: 413,
      body: { error: { message: expect.stringMatching(/larger than/) } },
    });
    expect(await submit({ imageUrl: "http://127.0.0.1:1/x.png" })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/could not fetch/) } },
    });
    expect(await submit({ imageUrl: `${base}/page.png`, image: "aGVsbG8=" })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/not both/) } },
    });
    expect(await submit({ imageUrl: 42 })).toMatchObject({
      status: 400,
      body: { error: { message: expect.stringMatching(/must be a URL string/) } },
    });
    expect(await jobCount()).toBe(before);
  });

  it("production rules: https only, and no loopback, private or metadata address, before anything is fetched", async () => {
    const hits = served.hits;
    const refused = async (imageUrl: string) =>
      (await resolveInputUrls({ imageUrl }, { allowLocal: false }).then(
        () => "fetched",
        (err: Error) => err.message,
      )) as string;
    expect(await refused(`${base}/page.png`)).toMatch(/must use https/);
    expect(await refused("https://127.0.0.1/page.png")).toMatch(/^input\.imageUrl: 127\.0\.0\.1 is a private, loopback/);
    expect(await refused("https://localhost/page.png")).toMatch(/localhost resolves to (127\.0\.0\.1|::1)/);
    expect(await refused("https://169.254.169.254/latest/meta-data")).toMatch(/link-local/);
    expect(await refused("https://[fd00::1]/x")).toMatch(/private/);
    expect(await refused("https://user:pw@example.com/x")).toMatch(/user name or password/);
    expect(await refused("file:///etc/passwd")).toMatch(/must use https/);
    expect(served.hits).toBe(hits);
  });
});
