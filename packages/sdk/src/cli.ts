// `proofgrid`: the consumer CLI over the SDK. login, models, balance, run, batch, jobs.
import { resolve } from "node:path";
import { stdin, stderr, stdout } from "node:process";
import { createInterface } from "node:readline/promises";
import { fileURLToPath } from "node:url";
import { SingleBar } from "cli-progress";
import { Command, InvalidArgumentError } from "commander";
import { Proofgrid } from "./client.ts";
import { ProofgridError } from "./errors.ts";
import { type BatchProgress, MAX_CONCURRENCY, runBatch, statePathFor } from "./cli/batch.ts";
import { CliUsageError, checkApiKey, checkBaseUrl, configPath, loadConfig, saveConfig } from "./cli/config.ts";
import { inputFromFile, listBatch, parseJson } from "./cli/inputs.ts";

const BASE_UNITS_PER_TOKEN = 1_000_000n;

function int(min: number, max: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return n;
  };
}

/** Base units (a decimal string) as tokens, e.g. "1500000" → "1.5". */
export function formatTokens(baseUnits: string): string {
  const v = BigInt(baseUnits);
  const neg = v < 0n;
  const abs = neg ? -v : v;
  const whole = abs / BASE_UNITS_PER_TOKEN;
  const frac = (abs % BASE_UNITS_PER_TOKEN).toString().padStart(6, "0").replace(/0+$/, "");
  return `${neg ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

function print(value: unknown): void {
  stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

function client(): Proofgrid {
  const config = loadConfig();
  return new Proofgrid({ apiKey: config.apiKey, baseUrl: config.baseUrl });
}

export function buildProgram(): Command {
  const program = new Command("proofgrid")
    .description("Run verified inference on Proofgrid from the command line")
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => stderr.write(s) });

  program
    .command("login")
    .description(`save the platform's URL and an API key (in ${configPath()}, readable by you alone)`)
    .option("--base-url <url>", "the platform's URL", "http://localhost:3000")
    .option("--api-key <key>", "an API key (pg_…); asked for when omitted")
    .action(async (flags: { baseUrl: string; apiKey?: string }) => {
      const baseUrl = checkBaseUrl(flags.baseUrl);
      let apiKey = flags.apiKey;
      if (!apiKey) {
        const rl = createInterface({ input: stdin, output: stderr });
        apiKey = await rl.question("API key: ");
        rl.close();
      }
      apiKey = checkApiKey(apiKey);
      // A key that does not work is not saved.
      const models = await new Proofgrid({ apiKey, baseUrl }).models.list();
      const file = saveConfig({ baseUrl, apiKey });
      stderr.write(`logged in to ${baseUrl} (${models.length} models); saved in ${file}\n`);
    });

  program
    .command("models")
    .description("list the model catalog")
    .option("--json", "print the catalog as JSON")
    .action(async (flags: { json?: boolean }) => {
      const models = await client().models.list();
      if (flags.json) return print(models);
      for (const m of models) stdout.write(`${m.slug}\t${m.kind}\t${formatTokens(m.basePrice)} tokens/job base\t${m.name}\n`);
    });

  program
    .command("balance")
    .description("show the organisation's balance")
    .option("--json", "print base units as JSON")
    .action(async (flags: { json?: boolean }) => {
      const b = await client().balance.get();
      if (flags.json) return print(b);
      stdout.write(`available\t${formatTokens(b.available)} tokens\nheld\t${formatTokens(b.held)} tokens\n`);
    });

  program
    .command("run <model> [file]")
    .description("run one job: a .txt (text), .png/.jpg/.webp (OCR), .wav (VAD) or .json file, or --json")
    .option("--json <input>", "the input as JSON, instead of a file")
    .option("--timeout <ms>", "give up waiting after this long", int(1, 86_400_000), 600_000)
    .action(async (model: string, file: string | undefined, flags: { json?: string; timeout: number }) => {
      if ((file === undefined) === (flags.json === undefined)) throw new CliUsageError("pass a file or --json <input>, one of them");
      const input = flags.json !== undefined ? parseJson(flags.json, "--json") : inputFromFile(file as string);
      const job = await client().jobs.run({ model, input }, { waitTimeoutMs: flags.timeout });
      print({ id: job.id, state: job.state, price: job.price, verification: job.verification, output: job.output });
    });

  program
    .command("batch <model> <source>")
    .description("run every input of a folder or a .jsonl file; results as JSONL; Ctrl-C and run again to resume")
    .option("-o, --out <file>", "results, one JSON line per input", "results.jsonl")
    .option("-c, --concurrency <n>", "jobs in flight at once", int(1, MAX_CONCURRENCY), 8)
    .option("--timeout <ms>", "how long to wait for one job before leaving it for the next run", int(1, 86_400_000), 600_000)
    .action(async (model: string, source: string, flags: { out: string; concurrency: number; timeout: number }) => {
      const items = listBatch(source);
      const out = resolve(flags.out);
      const bar = new SingleBar({
        format: "{bar} {value}/{total} | ok {succeeded} | failed {failed} | retry later {deferred} | {duration_formatted}",
        stream: stderr,
        hideCursor: true,
      });
      let started = false;
      const onProgress = (p: BatchProgress) => {
        const payload = { succeeded: p.succeeded, failed: p.failed, deferred: p.deferred };
        if (!started) {
          bar.start(p.total, p.done, payload);
          started = true;
        } else bar.update(p.done, payload);
      };
      // Everything the next run needs is on disk already (batch.ts): stop at once.
      process.once("SIGINT", () => {
        bar.stop();
        stderr.write(`\ninterrupted; run the same command again to resume (state in ${statePathFor(out)})\n`);
        process.exit(130);
      });
      const summary = await runBatch({
        client: client(),
        model,
        items,
        out,
        concurrency: flags.concurrency,
        waitTimeoutMs: flags.timeout,
        onProgress,
      });
      bar.stop();
      stderr.write(
        `${summary.done}/${summary.total} done (${summary.succeeded} succeeded, ${summary.failed} failed; ${summary.skipped} from earlier runs, ${summary.resumed} resumed) → ${out}\n`,
      );
      if (summary.deferred > 0) {
        stderr.write(`${summary.deferred} left for later (no answer, busy platform or a long job): run the same command again\n`);
        process.exitCode = 75; // EX_TEMPFAIL
      } else if (summary.failed > 0) process.exitCode = 1;
    });

  const jobs = program.command("jobs").description("one job: get, cancel, receipt");
  jobs
    .command("get <id>")
    .description("the job as it is now, with its output once it succeeded")
    .action(async (id: string) => print(await client().jobs.get(id)));
  jobs
    .command("cancel <id>")
    .description("cancel a job that has not finished (its hold is released)")
    .action(async (id: string) => print(await client().jobs.cancel(id)));
  jobs
    .command("receipt <id>")
    .description("the job's signed receipt; --verify checks it offline with the public keys")
    .option("--verify", "check the signatures and hashes; exit 1 unless valid")
    .option("--input <file>", "the job's input (as for run) to check its hash too")
    .action(async (id: string, flags: { verify?: boolean; input?: string }) => {
      const bundle = await client().jobs.receipt(id);
      if (!flags.verify) return print({ jobId: bundle.jobId, receipt: bundle.receipt, keys: bundle.keys });
      // Loaded when asked for: the signature checks bring node:crypto and the PoR package.
      const { verifyReceipt } = await import("./verify.ts");
      const verdict = verifyReceipt(bundle, { input: flags.input === undefined ? undefined : inputFromFile(flags.input) });
      for (const c of verdict.checks) stdout.write(`${c.ok === null ? "-" : c.ok ? "✓" : "✗"} ${c.check}: ${c.detail}\n`);
      stdout.write(verdict.valid ? "receipt valid\n" : "receipt NOT valid\n");
      if (!verdict.valid) process.exitCode = 1;
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (err) {
    if (err instanceof CliUsageError) {
      stderr.write(`proofgrid: ${err.message}\n`);
      process.exitCode = 2;
    } else if (err instanceof ProofgridError) {
      const id = err.requestId ? ` (request ${err.requestId})` : "";
      stderr.write(`proofgrid: ${err.status ?? "no answer"} ${err.code ?? ""} ${err.message}${id}\n`.replace(/ {2,}/g, " "));
      process.exitCode = 1;
    } else throw err;
  }
}

// Run as a script (`tsx src/cli.ts …`); the installed bin (bin/proofgrid.mjs) calls main itself.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main(process.argv);
