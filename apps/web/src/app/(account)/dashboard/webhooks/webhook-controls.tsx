"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Choice, Field, Fieldset, Input, Label } from "~/components/ui/field";
import { useTRPC } from "../trpc-provider";

// The webhooks page's buttons and form, over tRPC (the page itself renders on the server and
// is refreshed after each change). A new or rotated secret is shown here once.

function SecretOnce({ title, secret }: { title: string; secret: string }) {
  return (
    <Alert tone="success" role="region" aria-label={title} className="grid gap-2 p-4 pl-5">
      <strong>{title} Copy it now: you will not see it again.</strong>
      <Input
        readOnly
        value={secret}
        className="font-mono text-[13px]"
        aria-label="Signing secret"
        onFocus={(e) => e.currentTarget.select()}
      />
    </Alert>
  );
}

const message = (err: unknown) => (err instanceof Error ? err.message : "Something went wrong; try again.");

export function CreateEndpointForm({ events }: { events: readonly string[] }) {
  const trpc = useTRPC();
  const router = useRouter();
  const create = useMutation(trpc.webhooks.create.mutationOptions({ onSuccess: () => router.refresh() }));

  function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    create.mutate({
      url: String(form.get("url") ?? ""),
      description: String(form.get("description") ?? ""),
      events: form.getAll("events").map(String) as never,
    });
  }

  return (
    <div className="grid gap-4">
      {create.data ? <SecretOnce title={`Endpoint ${create.data.url} added.`} secret={create.data.secret} /> : null}
      {create.error ? <Alert>{message(create.error)}</Alert> : null}
      <form className="grid gap-4" onSubmit={submit}>
        <Field>
          <Label htmlFor="webhook-url">URL (https)</Label>
          <Input id="webhook-url" name="url" type="url" required maxLength={2048} placeholder="https://example.com/proofgrid/webhooks" />
        </Field>
        <Field>
          <Label htmlFor="webhook-description">Description</Label>
          <Input id="webhook-description" name="description" maxLength={200} placeholder="optional" />
        </Field>
        <Fieldset legend="Events">
          <div className="grid grid-cols-[repeat(auto-fill,minmax(9.5rem,1fr))] gap-x-4 gap-y-2 pt-1">
            {events.map((ev) => (
              <Choice key={ev} type="checkbox" name="events" value={ev} defaultChecked={ev.startsWith("job.")}>
                {ev}
              </Choice>
            ))}
          </div>
        </Fieldset>
        <div>
          <Button type="submit" disabled={create.isPending} aria-busy={create.isPending}>
            {create.isPending ? "Adding…" : "Add endpoint"}
          </Button>
        </div>
      </form>
    </div>
  );
}

export function EndpointActions({ id, enabled }: { id: string; enabled: boolean }) {
  const trpc = useTRPC();
  const router = useRouter();
  const refresh = { onSuccess: () => router.refresh() };
  const test = useMutation(trpc.webhooks.sendTest.mutationOptions(refresh));
  const rotate = useMutation(trpc.webhooks.rotateSecret.mutationOptions(refresh));
  const update = useMutation(trpc.webhooks.update.mutationOptions(refresh));
  const remove = useMutation(trpc.webhooks.delete.mutationOptions(refresh));
  const [confirmDelete, setConfirmDelete] = useState(false);
  const error = test.error ?? rotate.error ?? update.error ?? remove.error;

  return (
    <div className="grid gap-2">
      <div className="flex flex-wrap gap-2">
        <Button size="sm" variant="secondary" disabled={test.isPending || !enabled} onClick={() => test.mutate({ id })}>
          {test.isPending ? "Sending…" : "Send test event"}
        </Button>
        <Button size="sm" variant="secondary" disabled={rotate.isPending} onClick={() => rotate.mutate({ id, overlapSeconds: 86_400 })}>
          {rotate.isPending ? "Rotating…" : "Rotate secret"}
        </Button>
        <Button
          size="sm"
          variant="secondary"
          disabled={update.isPending}
          onClick={() => update.mutate({ id, patch: { enabled: !enabled } })}
        >
          {enabled ? "Disable" : "Enable"}
        </Button>
        {confirmDelete ? (
          <>
            <Button size="sm" variant="danger" disabled={remove.isPending} onClick={() => remove.mutate({ id })}>
              {remove.isPending ? "Deleting…" : "Yes, delete"}
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setConfirmDelete(false)}>
              Cancel
            </Button>
          </>
        ) : (
          <Button size="sm" variant="ghost" onClick={() => setConfirmDelete(true)}>
            Delete
          </Button>
        )}
      </div>
      {test.data ? (
        <output className="text-sm">Test event {test.data.eventId} queued: it appears in the delivery log within seconds.</output>
      ) : null}
      {rotate.data ? (
        <SecretOnce title="New secret. The old one keeps signing beside it for 24 hours." secret={rotate.data.secret} />
      ) : null}
      {error ? <Alert>{message(error)}</Alert> : null}
    </div>
  );
}
