"use client";

import { buttonClasses } from "~/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "~/components/ui/dropdown-menu";

export interface AccountMenuProps {
  email: string;
  isAdmin: boolean;
  org: { name: string; role: string };
}

/** Who is signed in and in which organisation, with the way to another organisation. */
export function AccountMenu({ email, isAdmin, org }: AccountMenuProps) {
  return (
    <DropdownMenu>
      <DropdownMenuTrigger
        className={buttonClasses({ variant: "ghost", size: "sm", className: "border-line px-2 font-medium" })}
        aria-label={`Account: ${email}`}
      >
        {/* An icon, not the email's initial: axe wants the visible text to be part of the name. */}
        <svg viewBox="0 0 20 20" className="size-5 shrink-0 text-accent" aria-hidden="true" focusable="false">
          <circle cx="10" cy="7" r="3.5" fill="currentColor" />
          <path d="M3.5 17c.8-3.3 3.4-5 6.5-5s5.7 1.7 6.5 5" fill="currentColor" />
        </svg>
        <span className="hidden max-w-[14rem] truncate md:inline">{email}</span>
        <svg viewBox="0 0 12 12" className="size-3 shrink-0" aria-hidden="true" focusable="false">
          <path d="m2.5 4.5 3.5 3.5 3.5-3.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
        </svg>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end">
        <DropdownMenuLabel>
          Signed in as <span className="font-semibold text-ink">{email}</span>
          {isAdmin ? " · platform admin" : ""}
        </DropdownMenuLabel>
        <DropdownMenuLabel>
          In <span className="font-semibold text-ink">{org.name}</span> as its {org.role}
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuItem asChild>
          <a href="/dashboard/keys">API keys</a>
        </DropdownMenuItem>
        <DropdownMenuItem asChild>
          <a href="/dashboard/members">Members and invitations</a>
        </DropdownMenuItem>
        <DropdownMenuItem asChild>
          <a href="/onboarding">Create another organisation</a>
        </DropdownMenuItem>
        {isAdmin ? (
          <>
            <DropdownMenuSeparator />
            <DropdownMenuItem asChild>
              <a href="/admin">Platform administration</a>
            </DropdownMenuItem>
          </>
        ) : null}
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
