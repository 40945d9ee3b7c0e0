import type { AddressInfo } from "node:net";
import { SMTPServer } from "smtp-server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { as, signUp, TEST_HOST } from "../../api/test-callers.ts";
import { getAuth } from "../../auth/better-auth.ts";
import { setupServiceDatabase } from "../../testing/service-database.ts";
import { deliverOutbox, emailsTo } from "./outbox.ts";
import { resetEnvCache } from "../../env.ts";

// Password reset by email, end to end on the server side: better-auth asks for the mail,
// the outbox holds it, the delivery loop hands it to a real SMTP server (smtp-server, in
// this process, over TCP on loopback), and the link in it sets a new password once.

let smtp: SMTPServer;
const received: { to: string[]; raw: string }[] = [];

const db = setupServiceDatabase({ name: "mail", env: { PROOFGRID_URL: "http://proofgrid.example" } });

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ["STARTTLS"],
    onData(stream, session, callback) {
      let raw = "";
      stream.on("data", (c: Buffer) => {
        raw += c.toString("utf8");
      });
      stream.on("end", () => {
        received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, "127.0.0.1", resolve));
  process.env.SMTP_URL = `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`;
  resetEnvCache();
  await signUp("rosa@example.com");
  // Her sign-up's confirmation goes out first: the tests below count only what follows.
  expect(await deliverOutbox()).toBe(1);
  received.length = 0;
});
afterAll(async () => {
  await new Promise<void>((resolve) => smtp?.close(resolve));
  delete process.env.SMTP_URL;
  resetEnvCache();
});

async function signIn(email: string, password: string): Promise<number> {
  const res = await getAuth().api.signInEmail({ body: { email, password }, headers: new Headers({ host: TEST_HOST }), asResponse: true });
  return res.status;
}

async function requestReset(email: string): Promise<number> {
  const res = await getAuth().api.requestPasswordReset({
    body: { email, redirectTo: "/reset-password" },
    headers: new Headers({ host: TEST_HOST }),
    asResponse: true,
  });
  return res.status;
}

describe("password reset by email", () => {
  let token = "";

  it("answers the same for an unknown address, and sends nothing to it", async () => {
    expect(await requestReset("nobody@example.com")).toBe(200);
    expect(await emailsTo("nobody@example.com")).toEqual([]);
  });

  it("queues a reset link for a real account and delivers it over SMTP, once", async () => {
    expect(await requestReset("rosa@example.com")).toBe(200);
    const [queued] = await emailsTo("rosa@example.com");
    expect(queued).toMatchObject({ kind: "password_reset", sent_at: null });
    expect(await deliverOutbox()).toBe(1);
    expect(await deliverOutbox()).toBe(0); // nothing twice
    expect(received).toHaveLength(1);
    expect(received[0]?.to).toEqual(["rosa@example.com"]);
    const [sent] = await emailsTo("rosa@example.com");
    expect(sent).toMatchObject({ transport: "smtp" });
    expect(sent?.sent_at).toBeInstanceOf(Date);
    // The link as the person receives it (quoted-printable soft breaks removed): absolute, to the page that asks for the new password.
    const link = /http:\/\/proofgrid\.example\/reset-password\?token=3D([A-Za-z0-9_-]+)/.exec(
      received[0]?.raw.replace(/=\r?\n/g, "") ?? "",
    );
    expect(link, received[0]?.raw).not.toBeNull();
    token = link?.[1] ?? "";
  });

  it("sets the new password with the token once; the old password and the token then fail", async () => {
    expect(await signIn("rosa@example.com", "correct horse battery")).toBe(200);
    const reset = await getAuth().api.resetPassword({
      body: { token, newPassword: "a brand new passphrase" },
      asResponse: true,
      headers: new Headers({ host: TEST_HOST }),
    });
    expect(reset.status).toBe(200);
    expect(await signIn("rosa@example.com", "correct horse battery")).toBe(401);
    expect(await signIn("rosa@example.com", "a brand new passphrase")).toBe(200);
    const again = await getAuth().api.resetPassword({
      body: { token, newPassword: "yet another passphrase" },
      asResponse: true,
      headers: new Headers({ host: TEST_HOST }),
    });
    expect(again.status).toBe(400);
  });

  it("signs out the sessions that existed before the reset", async () => {
    const before = await signUp("sam@example.com");
    expect(await deliverOutbox()).toBe(1); // his confirmation
    expect((await (await as(before)).account.me()).user.email).toBe("sam@example.com");
    expect(await requestReset("sam@example.com")).toBe(200);
    expect(await deliverOutbox()).toBe(1);
    const [mail] = await emailsTo("sam@example.com");
    const tok = /reset-password\?token=([A-Za-z0-9_-]+)/.exec(mail?.body_text ?? "")?.[1] ?? "";
    await getAuth().api.resetPassword({
      body: { token: tok, newPassword: "sam's new passphrase" },
      headers: new Headers({ host: TEST_HOST }),
    });
    await expect((await as(before)).account.me()).rejects.toThrow();
  });

  it("keeps a message the SMTP server refuses, and sends it when the server is back", async () => {
    const port = Number(new URL(process.env.SMTP_URL ?? "").port);
    await new Promise<void>((resolve) => smtp.close(resolve));
    expect(await requestReset("rosa@example.com")).toBe(200);
    expect(await deliverOutbox()).toBe(0);
    const [failed] = await db.t.prisma.outboundEmail.findMany({ where: { toAddress: "rosa@example.com", sentAt: null } });
    expect(failed?.attempts).toBe(1);
    expect(failed?.lastError).toMatch(/ECONNREFUSED|connect/i);
    // It waits (1 s after a first refusal, doubling after each) before it is tried again.
    expect((failed?.nextAttemptAt.getTime() ?? 0) - Date.now()).toBeGreaterThan(500);
    expect(await deliverOutbox()).toBe(0);
    expect((await db.t.prisma.outboundEmail.findUniqueOrThrow({ where: { id: failed?.id ?? "" } })).attempts).toBe(1);
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ["STARTTLS"],
      onData(stream, session, callback) {
        stream.resume();
        stream.on("end", () => {
          received.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: "" });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(port, "127.0.0.1", resolve));
    await new Promise((r) => setTimeout(r, 1_100));
    expect(await deliverOutbox()).toBe(1);
    expect(received.at(-1)?.to).toEqual(["rosa@example.com"]);
  });

  it("blanks the body of a message an hour after it went out (it holds a live link)", async () => {
    await db.t.prisma.outboundEmail.updateMany({
      where: { toAddress: "sam@example.com" },
      data: { sentAt: new Date(Date.now() - 2 * 3_600_000) },
    });
    await deliverOutbox();
    const [old] = await emailsTo("sam@example.com");
    expect(old).toMatchObject({ body_text: "", kind: "password_reset" });
    const [recent] = await emailsTo("rosa@example.com");
    expect(recent?.body_text).toContain("reset-password?token=");
  });
});
