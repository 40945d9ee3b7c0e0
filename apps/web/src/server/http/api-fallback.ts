import { AppError } from "../errors.ts";
import { handle } from "./handle.ts";

// The API answers in its own error shape (`{ error: { code, message, requestId } }`) for
// addresses and methods it does not have, never with the HTML 404 page or an empty 405:
// a client parsing JSON gets a reason, and a typo in a path says which path.

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
const METHODS: readonly Method[] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/** Every method of an address no route serves: a JSON 404. */
export const apiNotFound = handle(async (req) => {
  const path = new URL(req.url).pathname;
  throw new AppError("NOT_FOUND", `no API endpoint at ${req.method} ${path.slice(0, 200)}: see the README's API section for the paths`);
});

/**
 * The methods a route does not export, as JSON 405s naming the ones it does (and `Allow`).
 * In a route file: `export const { PUT, PATCH, DELETE } = methodsNotAllowed("GET", "POST");`
 * (Next answers a missing method with an empty 405 of its own; HEAD and OPTIONS it derives.)
 */
export function methodsNotAllowed(...allowed: Method[]): Record<Method, (req: Request) => Promise<Response>> {
  const allow = [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : []), "OPTIONS"];
  const notAllowed = handle(async (req) => {
    throw new AppError("METHOD_NOT_ALLOWED", `${req.method} is not allowed here: use ${allowed.join(" or ")}`, { allow });
  });
  return Object.fromEntries(METHODS.map((m) => [m, notAllowed])) as Record<Method, (req: Request) => Promise<Response>>;
}
