import { REGIONS } from "@proofgrid/indexer";
import type { Metadata } from "next";
import { Card } from "~/components/ui/card";
import { Tabs, TabsContent, TabsList, TabsTrigger } from "~/components/ui/tabs";
import { Lede, Muted, PageTitle, SectionTitle } from "~/components/ui/typography";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { AddWorker } from "./add-worker";
import { EarningsChart } from "./earnings-chart";
import { WorkersTable } from "./workers-table";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "Workers · Proofgrid" };

const REGION_OPTIONS = REGIONS.map((r) => ({ id: r.id, name: r.name }));

export default async function WorkersPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const params = await searchParams;
  const dashboard = await requireDashboard(params.org);
  const { org, caller } = dashboard;
  const orgParam = typeof params.org === "string" ? params.org : undefined;
  const [workers, day, fortnight] = await Promise.all([
    caller.workers.list(),
    caller.workers.earnings({ range: "day" }),
    caller.workers.earnings({ range: "fortnight" }),
  ]);
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/workers">
      <PageTitle>Workers</PageTitle>
      <Lede>
        Machines of {org.name} that run inference jobs and earn tokens for them.
        {org.kind === "customer" ? " Adding a worker makes this organisation a provider as well as a customer." : ""}
      </Lede>
      <SectionTitle id="add-worker-heading">Add a worker</SectionTitle>
      <Card>
        <AddWorker org={orgParam} regions={REGION_OPTIONS} />
      </Card>
      <SectionTitle id="workers-heading">Your workers</SectionTitle>
      <WorkersTable initial={workers} org={orgParam} />
      <SectionTitle id="earnings-heading">Earnings</SectionTitle>
      <Card>
        <Tabs defaultValue="day">
          <TabsList aria-labelledby="earnings-heading">
            <TabsTrigger value="day">Last 24 hours</TabsTrigger>
            <TabsTrigger value="fortnight">Last 14 days</TabsTrigger>
          </TabsList>
          <TabsContent value="day">
            <Muted>Per hour (UTC)</Muted>
            <EarningsChart series={day} id="earnings-day" />
          </TabsContent>
          <TabsContent value="fortnight">
            <Muted>Per day (UTC)</Muted>
            <EarningsChart series={fortnight} id="earnings-fortnight" />
          </TabsContent>
        </Tabs>
      </Card>
    </DashboardShell>
  );
}
