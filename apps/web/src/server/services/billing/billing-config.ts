import { getEnv } from "../../env.ts";

/** Stripe refuses a charge above 99,999,999 minor units (eight digits) in most currencies. */
export const STRIPE_MAX_AMOUNT_MINOR = 99_999_999;

export interface BillingConfig {
  /** STRIPE_SECRET_KEY is set: the billing page sells tokens by card. */
  cardPayments: boolean;
  /** STRIPE_WEBHOOK_SECRET is set: Stripe's events are accepted (and purchases credited). */
  webhooks: boolean;
  currency: string;
  /** Minor units of `currency` per whole token. */
  tokenPriceMinor: number;
  /** Whole tokens, within [minTokens, maxTokens]. */
  packs: number[];
  minTokens: number;
  maxTokens: number;
}

/** What the billing page and the checkout service sell, from the environment. */
export function getBillingConfig(): BillingConfig {
  const env = getEnv();
  const tokenPriceMinor = env.TOKEN_PRICE_CENTS;
  const maxTokens = Math.min(env.BILLING_MAX_PURCHASE_TOKENS, Math.floor(STRIPE_MAX_AMOUNT_MINOR / tokenPriceMinor));
  const minTokens = Math.min(env.BILLING_MIN_PURCHASE_TOKENS, maxTokens);
  return {
    cardPayments: env.STRIPE_SECRET_KEY !== undefined,
    webhooks: env.STRIPE_WEBHOOK_SECRET !== undefined,
    currency: env.BILLING_CURRENCY,
    tokenPriceMinor,
    packs: env.CREDIT_PACKS.filter((p) => p >= minTokens && p <= maxTokens),
    minTokens,
    maxTokens,
  };
}
