export function JobLink({ id }: { id: string }) {
  return (
    <p className="mt-3 text-sm">
      <a href={`/dashboard/jobs/${id}`}>Open the job page (cost, placement, receipt)</a>
    </p>
  );
}
