import type { Metadata } from "next";
import { Main, NavLink, SiteHeader } from "~/components/site/site-header";
import { Button } from "~/components/ui/button";
import { Lede, PageTitle } from "~/components/ui/typography";

export const metadata: Metadata = { title: "Not found · Proofgrid" };

/**
 * Every 404: an unknown address, and also another organisation's job, worker or dashboard,
 * which must look exactly the same (nothing here may depend on what was asked for).
 */
export default function NotFound() {
  return (
    <>
      <SiteHeader
        nav={
          <>
            <NavLink href="/">Home</NavLink>
            <NavLink href="/explorer">Explorer</NavLink>
          </>
        }
      />
      <Main narrow>
        <PageTitle>Page not found</PageTitle>
        <Lede>
          Nothing is here, or it belongs to an organisation you are not a member of. Check the address, or start again from your dashboard.
        </Lede>
        <div className="flex flex-wrap gap-3">
          <Button asChild>
            <a href="/dashboard">Go to your dashboard</a>
          </Button>
          <Button asChild variant="secondary">
            <a href="/">Home</a>
          </Button>
        </div>
      </Main>
    </>
  );
}
