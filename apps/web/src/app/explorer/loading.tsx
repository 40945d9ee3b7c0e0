import { Main, SiteHeader } from "~/components/site/site-header";
import { Skeleton } from "~/components/ui/skeleton";
import { Lede, PageTitle } from "~/components/ui/typography";
import { ExplorerNav } from "./explorer-nav";

/** Shown while the server reads the first snapshot: the page's frame with grey placeholders. */
export default function Loading() {
  return (
    <>
      <SiteHeader nav={<ExplorerNav />} />
      <Main aria-busy="true">
        <PageTitle>Network explorer</PageTitle>
        <Lede>Loading the live network…</Lede>
        <ul className="my-4 grid grid-cols-2 gap-3 md:grid-cols-4" aria-hidden="true">
          {["a", "b", "c", "d"].map((k) => (
            <li key={k} className="rounded-lg border border-line bg-white px-4 py-3">
              <Skeleton className="h-3 w-24" />
              <Skeleton className="mt-3 h-7 w-16" />
            </li>
          ))}
        </ul>
        <Skeleton className="aspect-[20/9] h-auto w-full rounded-lg" />
      </Main>
    </>
  );
}
