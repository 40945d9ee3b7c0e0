"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { useTRPC } from "../trpc-provider";

/** Gives up one of the organisation's models, after a second click; the page re-renders without it. */
export function DeleteModelButton({ id, name }: { id: string; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const remove = useMutation(trpc.customModels.delete.mutationOptions({ onSuccess: () => router.refresh() }));
  const [confirm, setConfirm] = useState(false);
  return (
    <div className="grid gap-1">
      <div className="flex flex-wrap gap-2">
        {confirm ? (
          <>
            <Button size="sm" variant="danger" disabled={remove.isPending} onClick={() => remove.mutate({ id })}>
              {remove.isPending ? "Deleting…" : `Yes, delete ${name}`}
            </Button>
            <Button size="sm" variant="ghost" onClick={() => setConfirm(false)}>
              Cancel
            </Button>
          </>
        ) : (
          <Button size="sm" variant="ghost" aria-label={`Delete ${name}`} onClick={() => setConfirm(true)}>
            Delete
          </Button>
        )}
      </div>
      {remove.error ? <Alert>{remove.error.message}</Alert> : null}
    </div>
  );
}
