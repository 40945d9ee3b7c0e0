/** What a running job is doing, with a pulsing dot; the surrounding live region announces the words. */
export function RunningNote({ message }: { message: string }) {
  return (
    <output className="flex items-center gap-2 text-sm text-muted">
      <span aria-hidden="true" className="size-2.5 motion-safe:animate-pulse rounded-full bg-accent" />
      {message}
    </output>
  );
}
