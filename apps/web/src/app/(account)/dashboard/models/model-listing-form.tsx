"use client";

import { useMutation } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useId, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Input, Label, Select } from "~/components/ui/field";
import { formatTokens, parseTokens } from "~/server/services/billing/tokens";
import { useTRPC } from "../trpc-provider";

/**
 * The owner's listing of one model: its visibility and the royalty (in tokens) another
 * organisation pays it per job while it is public. Saved with customModels.update, the same
 * service as PATCH /api/v1/models/{id}; jobs already submitted keep the royalty they were held with.
 */
export function ModelListingForm({
  id,
  name,
  visibility,
  royalty,
}: {
  id: string;
  name: string;
  visibility: "private" | "public";
  royalty: string;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const field = useId();
  const [vis, setVis] = useState(visibility);
  const [tokens, setTokens] = useState(formatTokens(royalty));
  const [problem, setProblem] = useState<string | null>(null);
  const save = useMutation(trpc.customModels.update.mutationOptions({ onSuccess: () => router.refresh() }));
  const submit = () => {
    const t = tokens.trim();
    const amount = t === "" || /^0+(\.0*)?$/.test(t) ? 0n : parseTokens(t);
    if (amount === null) {
      setProblem("The royalty is a number of tokens, e.g. 0.002, with at most 6 decimals.");
      return;
    }
    setProblem(null);
    save.mutate({ id, changes: { visibility: vis, royalty: amount.toString() } });
  };
  return (
    <form
      className="grid gap-1"
      aria-label={`Listing of ${name}`}
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div className="flex flex-wrap items-end gap-2">
        <div className="grid gap-0.5">
          <Label htmlFor={`${field}-vis`}>Listed</Label>
          <Select id={`${field}-vis`} value={vis} onChange={(e) => setVis(e.target.value as "private" | "public")}>
            <option value="private">private</option>
            <option value="public">public</option>
          </Select>
        </div>
        <div className="grid gap-0.5">
          <Label htmlFor={`${field}-royalty`}>Royalty per job (tokens)</Label>
          <Input id={`${field}-royalty`} inputMode="decimal" className="w-28" value={tokens} onChange={(e) => setTokens(e.target.value)} />
        </div>
        <Button size="sm" type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </Button>
      </div>
      {problem ? <Alert>{problem}</Alert> : null}
      {save.error ? <Alert>{save.error.message}</Alert> : null}
      {save.isSuccess && !save.isPending ? <p className="text-[12px] text-muted-foreground">Saved.</p> : null}
    </form>
  );
}
