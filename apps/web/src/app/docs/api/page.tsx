import type { Metadata } from "next";
import { AccountLinks } from "~/components/site/account-links";
import { Main, NavLink, SiteFooter, SiteHeader } from "~/components/site/site-header";
import { getOpenApiDocument } from "~/server/openapi/document";
import { ApiReference } from "./api-reference";

export const dynamic = "force-dynamic";
export const metadata: Metadata = {
  title: "API reference · Proofgrid",
  description: "Proofgrid's REST API: every operation, its parameters, bodies, responses and a curl example.",
};

/**
 * The REST API's reference, rendered on the server from the same OpenAPI document
 * /api/v1/openapi.json serves: no script and no CDN, so it reads offline and without JavaScript.
 */
export default function ApiReferencePage() {
  return (
    <>
      <SiteHeader
        nav={
          <>
            <NavLink href="/">Home</NavLink>
            <NavLink href="/explorer">Explorer</NavLink>
            <NavLink href="/docs/api" current>
              API reference
            </NavLink>
            <AccountLinks signUp={false} />
          </>
        }
      />
      <Main>
        <ApiReference doc={getOpenApiDocument()} />
      </Main>
      <SiteFooter>Generated from the routes' own zod schemas; a contract test holds every route's responses to it.</SiteFooter>
    </>
  );
}
