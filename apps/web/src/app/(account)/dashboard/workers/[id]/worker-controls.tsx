"use client";

import { useActionState, useEffect, useState } from "react";
import { Alert } from "~/components/ui/alert";
import { Button } from "~/components/ui/button";
import { Card } from "~/components/ui/card";
import { ConfirmAction } from "~/components/ui/confirm-action";
import { Field, FieldHint, Input, Label, Select } from "~/components/ui/field";
import { useFocusOnError } from "~/components/ui/use-focus-on-error";
import { removeWorkerAction, type WorkerControlState, workerControlAction } from "../actions";

interface Props {
  org: string;
  nodeId: string;
  name: string;
  paused: boolean;
  /** Base units per CU, or null (the list price). */
  askPricePerCu: string | null;
  listPricePerCu: string;
  /** Tokens, formatted. */
  bonded: string;
  /** Tokens of stake the jobs it holds now need (no allowance). */
  required: string;
  unbondingDays: string;
}

/** One small form of the worker page: its own pending state and its own answer. */
function ControlForm({
  op,
  tag = op,
  org,
  nodeId,
  label,
  children,
  idempotent = false,
  variant,
}: {
  op: string;
  /** Names the form and its answer for tests and styles (default: the op). */
  tag?: string;
  org: string;
  nodeId: string;
  label: string;
  children?: React.ReactNode;
  idempotent?: boolean;
  variant?: "secondary";
}) {
  const [state, action, pending] = useActionState<WorkerControlState, FormData>(workerControlAction, {});
  // A key per drawn form: a double click or a retry of the same submit moves tokens once;
  // a new one after each answer, so the next submit is a new request.
  const [key, setKey] = useState(() => crypto.randomUUID());
  const ref = useFocusOnError(state, { alsoWhen: state.done });
  useEffect(() => {
    if (state.done) setKey(crypto.randomUUID());
  }, [state]);
  return (
    <form action={action} className="grid gap-2" data-control={tag}>
      <input type="hidden" name="op" value={op} />
      <input type="hidden" name="org" value={org} />
      <input type="hidden" name="nodeId" value={nodeId} />
      {idempotent ? <input type="hidden" name="idempotencyKey" value={key} /> : null}
      {children}
      <div>
        <Button type="submit" variant={variant} disabled={pending}>
          {pending ? "Working…" : label}
        </Button>
      </div>
      {state.error ? (
        <Alert tabIndex={-1} ref={ref} data-control-error={tag}>
          {state.error}
        </Alert>
      ) : state.done ? (
        <Alert tone="success" role="status" tabIndex={-1} ref={ref} data-control-done={tag}>
          {state.done}
        </Alert>
      ) : null}
    </form>
  );
}

/** The provider's controls on a worker's page: stake, unbond, ask, pause/resume, rename. */
export function WorkerControls(p: Props) {
  return (
    <div className="grid gap-4 md:grid-cols-2">
      <Card>
        <ControlForm op="stake" org={p.org} nodeId={p.nodeId} label="Stake" idempotent>
          <Field>
            <Label htmlFor="stake-amount">Stake (tokens)</Label>
            <Input id="stake-amount" name="amount" inputMode="decimal" autoComplete="off" required aria-describedby="stake-hint" />
            <FieldHint id="stake-hint">
              Bonded now: {p.bonded} tokens; the jobs it holds now need {p.required}. Stake bounds the value of the jobs it may hold at once
              (with your starter allowance), and is what a proven cheat loses.
            </FieldHint>
          </Field>
          <Field>
            <Label htmlFor="stake-source">From</Label>
            <Select id="stake-source" name="source" defaultValue="any">
              <option value="any">Released earnings first, then credits</option>
              <option value="earnings">Released earnings only</option>
              <option value="available">Credits only</option>
            </Select>
          </Field>
        </ControlForm>
      </Card>
      <Card>
        <ControlForm op="unbond" org={p.org} nodeId={p.nodeId} label="Start unbonding" idempotent variant="secondary">
          <Field>
            <Label htmlFor="unbond-amount">Unbond (tokens)</Label>
            <Input id="unbond-amount" name="amount" inputMode="decimal" autoComplete="off" required aria-describedby="unbond-warning" />
          </Field>
          <Alert tone="warning" id="unbond-warning" title="Before you unbond">
            The tokens stop backing jobs at once, so it may take fewer jobs (none below its minimum stake). They come back to your balance
            only after {p.unbondingDays}, and until then they can still be slashed for a cheat proven on work it already did.
          </Alert>
        </ControlForm>
      </Card>
      <Card>
        <ControlForm op="ask" org={p.org} nodeId={p.nodeId} label="Set the ask">
          <Field>
            <Label htmlFor="ask-price">Asking price (base units per CU)</Label>
            <Input
              id="ask-price"
              name="ask"
              inputMode="numeric"
              autoComplete="off"
              defaultValue={p.askPricePerCu ?? ""}
              placeholder={p.listPricePerCu}
              aria-describedby="ask-hint"
            />
            <FieldHint id="ask-hint">
              Empty: the list price ({p.listPricePerCu}). Only jobs whose customers cap their price at or above it can go to this worker;
              jobs already placed keep their price.
            </FieldHint>
          </Field>
        </ControlForm>
      </Card>
      <Card className="grid gap-4">
        {/* One form whose op follows the state, so its answer survives the re-render. */}
        <ControlForm
          op={p.paused ? "resume" : "pause"}
          tag="availability"
          org={p.org}
          nodeId={p.nodeId}
          label={p.paused ? "Resume" : "Pause (drain)"}
          variant={p.paused ? undefined : "secondary"}
        >
          <p className="text-sm">
            {p.paused
              ? "Paused: nothing new is placed on it. Resume to take jobs again."
              : "Pausing drains it: no new jobs or checks, the jobs it holds finish and are paid. Use it before maintenance."}
          </p>
        </ControlForm>
        <ControlForm op="rename" org={p.org} nodeId={p.nodeId} label="Rename" variant="secondary">
          <Field>
            <Label htmlFor="worker-name">Name</Label>
            <Input id="worker-name" name="name" defaultValue={p.name} maxLength={64} required autoComplete="off" />
          </Field>
        </ControlForm>
      </Card>
      <Card className="grid gap-3">
        <p className="text-sm">
          Removing retires the worker: its key stops working and it leaves your lists. It must hold no jobs, stake or held earnings first
          (pause it, unbond, and wait for the unbonding period and its last verification window).
        </p>
        <div>
          <ConfirmAction
            action={removeWorkerAction}
            fields={{ org: p.org, nodeId: p.nodeId }}
            trigger="Remove worker"
            triggerLabel={`Remove worker ${p.name}`}
            title={`Remove ${p.name}?`}
            description="Its key stops working at once and it cannot be brought back; register the machine again to use it later."
            confirm="Remove"
            busy="Removing…"
          />
        </div>
      </Card>
    </div>
  );
}
