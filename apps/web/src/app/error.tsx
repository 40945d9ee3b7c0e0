"use client";

import { Main, SiteHeader } from "~/components/site/site-header";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { PageTitle } from "~/components/ui/typography";

/** An unexpected error while rendering a page: say so plainly, offer a retry, and give the reference the logs carry. */
export default function ErrorPage({ error, reset }: { error: Error & { digest?: string }; reset: () => void }) {
  return (
    <>
      <SiteHeader nav={null} />
      <Main narrow>
        <PageTitle>Something went wrong</PageTitle>
        <Alert className="my-4" title="This page could not be shown.">
          Try again. If it keeps happening, wait a minute and reload; if you run Proofgrid, the server&apos;s logs have the details
          {error.digest ? ` (reference ${error.digest})` : ""}.
        </Alert>
        <div className="flex flex-wrap gap-3">
          <Button onClick={reset}>Try again</Button>
          <a href="/" className="self-center text-sm">
            Go to the home page
          </a>
        </div>
      </Main>
    </>
  );
}
