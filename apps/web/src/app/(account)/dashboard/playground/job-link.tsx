export function JobLink({ id }: { id: string }) {
  return (
    <p>
      <a href={`/dashboard/jobs/${id}`}>Open the job page (cost, placement, receipt)</a>
    </p>
  );
}
