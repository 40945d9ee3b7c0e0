// One writer of the "ledger under fire" scenario (tests/e2e/ledger-under-fire.test.ts):
// posts the transfers it is given through the product's postTransfer, each in its own
// sqlTransaction with its idempotency key, several at a time, and reports every answer on
// stdout the moment it has it. The test kill -9s it at random and starts it again with the
// keys it had not seen answered (plus some it had), so an answer the test never read is
// simply asked for again with the same key.
//
//   DATABASE_URL=… node --import tsx tests/support/ledger-writer.ts <concurrency>
//
// Stdout says `ready` once loaded (the test keeps such spares to replace killed writers).
// Stdin, one line each: `send <key> <from-account> <to-account> <amount>` (base units), and
// `end` (finish what was sent, then exit 0). Stdout, one line per answer (pipes are written
// synchronously on Linux, so a line printed before a SIGKILL reaches the test):
//   created <key>    this call applied the transfer
//   replayed <key>   the key had been applied before; nothing changed
//   refused <key>    insufficient funds; nothing was applied
//   retry <key> <error>   a connection-level failure (the database restarting): sent again
// Any other failure is a bug: it is printed as `fatal …` and the process exits 1.
import { createInterface } from "node:readline";
import { LedgerError, postTransfer } from "@proofgrid/db/ledger";
import { closePgPool, sqlTransaction } from "@proofgrid/db/sql-client";

interface Planned {
  key: string;
  from: string;
  to: string;
  amount: bigint;
}

const CONCURRENCY = Math.max(1, Number(process.argv[2] ?? 4));
/** A key not answered for this long means the writer is stuck, not riding out a restart. */
const GIVE_UP_MS = 60_000;

const say = (line: string) => process.stdout.write(`${line}\n`);

async function post(t: Planned): Promise<"created" | "replayed" | "refused"> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await sqlTransaction((tx) =>
        postTransfer(tx, {
          idempotencyKey: t.key,
          kind: "move",
          legs: [
            { code: t.from, amount: -t.amount },
            { code: t.to, amount: t.amount },
          ],
        }),
      );
      return res.created ? "created" : "replayed";
    } catch (err) {
      if (err instanceof LedgerError) {
        if (err.code === "insufficient_funds") return "refused";
        throw err;
      }
      // The database went away (restart) mid-transaction or before it: whether it committed
      // is unknown, so the same key goes again; the idempotency key makes that safe.
      if (Date.now() - started > GIVE_UP_MS) throw err;
      say(
        `retry ${t.key} ${String((err as Error)?.message ?? err)
          .replace(/\s+/g, " ")
          .slice(0, 120)}`,
      );
      await new Promise((r) => setTimeout(r, Math.min(500, 20 * attempt) + Math.random() * 50));
    }
  }
}

const queue: Planned[] = [];
let ended = false;
let waiting: (() => void)[] = [];
const wake = () => {
  const w = waiting;
  waiting = [];
  for (const f of w) f();
};
say("ready");
const input = createInterface({ input: process.stdin });
input.on("line", (line) => {
  const [verb, key, from, to, amount] = line.split(" ");
  if (verb === "send" && key && from && to && amount) queue.push({ key, from, to, amount: BigInt(amount) });
  else if (verb === "end") ended = true;
  wake();
});
input.on("close", () => {
  ended = true;
  wake();
});

async function lane(): Promise<void> {
  for (;;) {
    const t = queue.shift();
    if (t) say(`${await post(t)} ${t.key}`);
    else if (ended) return;
    else await new Promise<void>((r) => waiting.push(r));
  }
}

try {
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  await closePgPool();
  say("done");
  process.exit(0);
} catch (err) {
  say(`fatal ${String((err as Error)?.stack ?? err).replace(/\s+/g, " ")}`);
  process.exit(1);
}
