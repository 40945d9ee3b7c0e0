import { NavLink } from "~/components/site/site-header";

/** The explorer's links: the site's pages and the public API it reads. */
export function ExplorerNav() {
  return (
    <>
      <NavLink href="/">Home</NavLink>
      <NavLink href="/explorer" current>
        Explorer
      </NavLink>
      <NavLink href="/api/v1/market">Market API</NavLink>
    </>
  );
}
