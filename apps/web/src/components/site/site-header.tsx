import type { ComponentProps, ReactNode } from "react";
import { buttonClasses } from "../ui/button";
import { cn } from "../ui/cn";

/** A grid of four cells, one of them ticked: proofs on a grid of machines. */
function Logo() {
  return (
    <svg viewBox="0 0 24 24" className="size-6" aria-hidden="true" focusable="false">
      <rect x="1" y="1" width="22" height="22" rx="5" className="fill-accent" />
      <path d="M7 7h4v4H7zM13 7h4v4h-4zM7 13h4v4H7z" className="fill-white/45" />
      <path
        d="m13.2 15.2 1.6 1.6 2.9-3.3"
        className="stroke-white"
        strokeWidth="1.8"
        fill="none"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}

/** A link in a header navigation; the current page is marked for assistive technology and by an underline bar. */
export function NavLink({ current = false, className, ...props }: ComponentProps<"a"> & { current?: boolean }) {
  return (
    <a
      aria-current={current ? "page" : undefined}
      className={cn(
        "-mb-px inline-flex items-center border-b-2 border-transparent py-2 text-sm text-muted no-underline hover:border-line-strong hover:text-ink",
        "aria-[current=page]:border-accent aria-[current=page]:font-semibold aria-[current=page]:text-ink",
        className,
      )}
      {...props}
    />
  );
}

function VisitorLinks() {
  return (
    <>
      <a href="/explorer" className="text-muted no-underline hover:text-ink">
        Explorer
      </a>
      <a href="/signin" className="text-muted no-underline hover:text-ink">
        Sign in
      </a>
      <a href="/signup" className={buttonClasses({ size: "sm" })}>
        Sign up
      </a>
    </>
  );
}

export interface SiteHeaderProps {
  /** Links at the top right; the default is the visitor's (explorer, sign in, sign up); null for none. */
  nav?: ReactNode;
  /** Controls after the links (an account menu, sign out). */
  actions?: ReactNode;
  /** A second row inside the header: a section's own navigation. */
  children?: ReactNode;
}

/** The header every page shares: skip link, brand left, navigation right. */
export function SiteHeader({ nav, actions, children }: SiteHeaderProps) {
  const links = nav === undefined ? <VisitorLinks /> : nav;
  return (
    <>
      <a
        href="#main"
        className="sr-only rounded-md bg-white px-3 py-2 text-ink focus:not-sr-only focus:absolute focus:top-2 focus:left-4 focus:z-50"
      >
        Skip to content
      </a>
      <header className="border-b border-line bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-x-4 gap-y-2 px-4 py-3 sm:px-6">
          <a href="/" className="inline-flex items-center gap-2 text-lg font-bold text-ink no-underline hover:text-ink">
            <Logo />
            Proofgrid
          </a>
          <div className="flex flex-wrap items-center gap-x-4 gap-y-2">
            {links ? (
              <nav aria-label="Site" className="flex flex-wrap items-center gap-x-4 gap-y-1 text-sm">
                {links}
              </nav>
            ) : null}
            {actions}
          </div>
        </div>
        {children ? <div className="mx-auto max-w-6xl px-4 sm:px-6">{children}</div> : null}
      </header>
    </>
  );
}

/** The page's main landmark in the site's column; `narrow` for a single form. */
export function Main({ narrow = false, className, ...props }: ComponentProps<"main"> & { narrow?: boolean }) {
  return (
    <main
      id="main"
      className={cn("mx-auto w-full px-4 pb-16 sm:px-6", narrow ? "mt-4 max-w-md sm:mt-8" : "max-w-6xl", className)}
      {...props}
    />
  );
}

/** Small print at the foot of a page. */
export function SiteFooter({ className, children }: { className?: string; children: ReactNode }) {
  return (
    <footer className={cn("border-t border-line bg-white", className)}>
      <div className="mx-auto max-w-6xl px-4 py-4 text-[13px] text-muted [overflow-wrap:anywhere] sm:px-6">{children}</div>
    </footer>
  );
}
