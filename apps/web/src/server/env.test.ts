import { afterEach, describe, expect, it } from "vitest";
import { getChainConfig, getEnv, resetEnvCache } from "./env.ts";
import { getPorConfig } from "./services/verification/por-config.ts";

// One configuration per process (issue 14): every domain's variables are validated together,
// at start, and read back from one parse.

const saved = { ...process.env };
afterEach(() => {
  for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
  Object.assign(process.env, saved);
  resetEnvCache();
});

function setEnv(vars: Record<string, string | undefined>): void {
  process.env.DATABASE_URL = "postgres://u@127.0.0.1:1/none";
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  resetEnvCache();
}

describe("getEnv", () => {
  it("refuses a bad value of any domain's variable, naming it", () => {
    setEnv({ POR_REEXEC_FLOOR: "2" });
    expect(() => getEnv()).toThrow(/POR_REEXEC_FLOOR/);
    setEnv({ POR_REEXEC_FLOOR: undefined, PAYOUT_FEE_BPS: "-1" });
    expect(() => getEnv()).toThrow(/PAYOUT_FEE_BPS/);
    setEnv({ PAYOUT_FEE_BPS: undefined, SIGNIN_FREE_FAILURES: "many" });
    expect(() => getEnv()).toThrow(/SIGNIN_FREE_FAILURES/);
  });

  it("refuses a money variable under its old name, unitless, rather than ignore it and charge the default", () => {
    setEnv({ PRICE_PER_CU: "70000" });
    expect(() => getEnv()).toThrow(/PRICE_PER_CU is now PRICE_PER_CU_BASE_UNITS/);
    setEnv({ PRICE_PER_CU: undefined, PAYOUT_MAX_AMOUNT: "5" });
    expect(() => getEnv()).toThrow(/PAYOUT_MAX_AMOUNT is now PAYOUT_MAX_BASE_UNITS/);
    setEnv({ PAYOUT_MAX_AMOUNT: undefined, PRICE_PER_CU_BASE_UNITS: "70000" });
    expect(getEnv().PRICE_PER_CU_BASE_UNITS).toBe(70_000);
  });

  it("parses once: the domains' policies come from the same parse until the process retargets itself", () => {
    setEnv({ POR_REEXEC_FLOOR: "0.2", POR_REEXEC_CAP: "0.4" });
    const env = getEnv();
    expect(getEnv()).toBe(env);
    expect(getPorConfig().sampling.reexecution).toMatchObject({ floor: 0.2, cap: 0.4 });
    // A change without a reset is not seen (no per-call scan of the environment) …
    process.env.POR_REEXEC_FLOOR = "0.3";
    expect(getPorConfig().sampling.reexecution.floor).toBe(0.2);
    // … another database is, and so is an explicit reset.
    process.env.DATABASE_URL = "postgres://u@127.0.0.1:1/other";
    expect(getPorConfig().sampling.reexecution.floor).toBe(0.3);
  });

  it("reads the payout chain once, and refuses half a chain", () => {
    setEnv({ CHAIN_RPC_URL: undefined, TOKEN_ADDRESS: undefined });
    expect(getChainConfig()).toBeNull();
    setEnv({ CHAIN_RPC_URL: "http://127.0.0.1:8545", TOKEN_ADDRESS: undefined });
    expect(() => getChainConfig()).toThrow(/TOKEN_ADDRESS/);
  });
});
