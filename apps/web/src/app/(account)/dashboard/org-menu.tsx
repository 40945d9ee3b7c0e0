"use client";

import { useTransition } from "react";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "~/components/ui/dropdown-menu";
import { buttonClasses } from "~/components/ui/button";
import { switchOrganizationAction } from "../actions";

export interface OrgMenuProps {
  email: string;
  isAdmin: boolean;
  current: { orgId: string; name: string };
  memberships: readonly { orgId: string; name: string }[];
}

/** The account menu: who is signed in, which organisation the dashboard shows, and the way to another. */
export function OrgMenu({ email, isAdmin, current, memberships }: OrgMenuProps) {
  const [pending, startTransition] = useTransition();
  function switchTo(orgId: string) {
    if (orgId === current.orgId) return;
    const form = new FormData();
    form.set("orgId", orgId);
    // The action sets the session's organisation and redirects to /dashboard.
    startTransition(() => switchOrganizationAction(form));
  }
  return (
    <DropdownMenu>
      <DropdownMenuTrigger
        className={buttonClasses({ variant: "ghost", size: "sm", className: "max-w-[11rem] border-line sm:max-w-[16rem]" })}
        aria-label={`Organisation: ${current.name}`}
        aria-busy={pending}
      >
        <span className="truncate">{pending ? "Switching…" : current.name}</span>
        <svg viewBox="0 0 12 12" className="size-3 shrink-0" aria-hidden="true" focusable="false">
          <path d="m2.5 4.5 3.5 3.5 3.5-3.5" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
        </svg>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end">
        <DropdownMenuLabel>
          Signed in as <span className="font-semibold text-ink">{email}</span>
          {isAdmin ? " · platform admin" : ""}
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuLabel>Organisation</DropdownMenuLabel>
        <DropdownMenuRadioGroup value={current.orgId} onValueChange={switchTo}>
          {memberships.map((m) => (
            <DropdownMenuRadioItem key={m.orgId} value={m.orgId}>
              <span className="truncate">{m.name}</span>
            </DropdownMenuRadioItem>
          ))}
        </DropdownMenuRadioGroup>
        <DropdownMenuSeparator />
        <DropdownMenuItem asChild>
          <a href="/onboarding">Create an organisation</a>
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}
