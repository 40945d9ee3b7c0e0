// Runs once when the Next server starts (Node runtime only).
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME === "nodejs") {
    const { installClientAddressStamp } = await import("./server/http/client-address");
    installClientAddressStamp();
  }
}
