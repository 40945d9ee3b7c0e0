"use client";

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient, httpBatchLink } from "@trpc/client";
import { createTRPCContext } from "@trpc/tanstack-react-query";
import { type ReactNode, useState } from "react";
import superjson from "superjson";
import { MAX_TRPC_BATCH_CALLS } from "~/server/api/batch-limit";
import { ORG_HEADER } from "~/server/api/org-header";
import type { AppRouter } from "~/server/api/root";

// tRPC from client components: TanStack Query over /api/trpc with the browser's session
// cookie. Every request names the page's organisation, so a page opened with ?org= reads
// that organisation, not whichever one the session has active in another tab.

const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();
export { useTRPC };

export function DashboardTRPCProvider({ orgId, children }: { orgId: string; children: ReactNode }) {
  const [queryClient] = useState(
    () =>
      new QueryClient({
        // A failed poll is retried by the next one: no burst of retries in between.
        defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: true } },
      }),
  );
  const [trpcClient] = useState(() =>
    createTRPCClient<AppRouter>({
      links: [
        httpBatchLink({
          url: "/api/trpc",
          transformer: superjson,
          maxItems: MAX_TRPC_BATCH_CALLS,
          headers: () => ({ [ORG_HEADER]: orgId }),
        }),
      ],
    }),
  );
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
