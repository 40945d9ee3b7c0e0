// The CLI's settings: the base URL and API key `proofgrid login` saved in
// ~/.config/proofgrid/config.json (mode 0600: it holds a secret), overridden by
// PROOFGRID_API_KEY / PROOFGRID_BASE_URL. The only module of the CLI that reads the environment.
import { chmodSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { DEFAULT_BASE_URL } from "../client.ts";

export interface CliConfig {
  baseUrl: string;
  apiKey: string;
}

export class CliUsageError extends Error {}

/** A config file is a few hundred bytes; anything far larger is not ours. */
const MAX_CONFIG_BYTES = 64 * 1024;
const API_KEY = /^[\x21-\x7e]{1,256}$/;

/** ~/.config/proofgrid/config.json, or under $XDG_CONFIG_HOME; PROOFGRID_CONFIG names another file. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROOFGRID_CONFIG) return env.PROOFGRID_CONFIG;
  const base = env.XDG_CONFIG_HOME || join(homedir(), ".config");
  return join(base, "proofgrid", "config.json");
}

export function checkBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new CliUsageError(`not a URL: ${value}`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CliUsageError(`the base URL must be http(s): ${value}`);
  return url.origin + url.pathname.replace(/\/+$/, "");
}

export function checkApiKey(value: string): string {
  const key = value.trim();
  if (!API_KEY.test(key)) throw new CliUsageError("the API key must be 1–256 printable characters without spaces");
  return key;
}

function readSaved(file: string): Partial<CliConfig> {
  let text: string;
  try {
    if (statSync(file).size > MAX_CONFIG_BYTES) throw new CliUsageError(`${file} is larger than ${MAX_CONFIG_BYTES} bytes`);
    text = readFileSync(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw err;
  }
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    return {
      baseUrl: typeof v.baseUrl === "string" ? v.baseUrl : undefined,
      apiKey: typeof v.apiKey === "string" ? v.apiKey : undefined,
    };
  } catch {
    throw new CliUsageError(`${file} is not JSON: run proofgrid login again`);
  }
}

/** The settings in force: the environment's, else the saved ones, else the default URL (a key is required). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): CliConfig {
  const saved = readSaved(configPath(env));
  const apiKey = env.PROOFGRID_API_KEY || saved.apiKey;
  if (!apiKey) throw new CliUsageError("no API key: run `proofgrid login` or set PROOFGRID_API_KEY");
  return { baseUrl: checkBaseUrl(env.PROOFGRID_BASE_URL || saved.baseUrl || DEFAULT_BASE_URL), apiKey: checkApiKey(apiKey) };
}

/** Saves the settings, readable by the user alone (0600, in a 0700 directory), replacing the file whole. */
export function saveConfig(config: CliConfig, env: NodeJS.ProcessEnv = process.env): string {
  const file = configPath(env);
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify({ baseUrl: checkBaseUrl(config.baseUrl), apiKey: checkApiKey(config.apiKey) }, null, 2)}\n`, {
    mode: 0o600,
  });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}
