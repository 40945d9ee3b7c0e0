import type { Metadata } from "next";
import { AccountLinks } from "~/components/site/account-links";
import { Main, SiteFooter, SiteHeader } from "~/components/site/site-header";
import { Lede, PageTitle } from "~/components/ui/typography";
import { listModels } from "~/server/services/models/list-models";
import { getLiveNetwork, type LiveNetwork } from "~/server/services/network/get-live-network";
import { listEmissions } from "~/server/services/rewards/distribute";
import { listProviderRecords } from "~/server/services/verification/provider-records";
import { currentVerification, listEpochs } from "~/server/services/verification/stats";
import { ExplorerNav } from "./explorer-nav";
import { EMISSIONS_SHOWN, EmissionChart, type EmissionsResponse } from "./emission-chart";
import { EPOCHS_SHOWN, EpochStats, type EpochsResponse } from "./epoch-stats";
import { LiveNetworkView } from "./live-network";
import { type CatalogModels, ModelCatalog } from "./model-catalog";
import { PROVIDERS_SHOWN, ProviderRecords, type ProvidersResponse } from "./provider-records";

export const dynamic = "force-dynamic";
export const metadata: Metadata = {
  title: "Network explorer · Proofgrid",
  description:
    "Proofgrid's network live: nodes by region, jobs per minute, capacity and verification per epoch, and the models on the market.",
};

/**
 * Public explorer. The server renders the first snapshot (no loading flash, readable
 * without JavaScript); client components then poll the public endpoints.
 */
export default async function ExplorerPage() {
  // Each half degrades on its own: the client retries what the server could not read.
  const [live, epochs, providers, emissions, models] = await Promise.all([
    getLiveNetwork().catch((): LiveNetwork | null => null),
    Promise.all([currentVerification(), listEpochs({ limit: EPOCHS_SHOWN })])
      .then(([current, list]): EpochsResponse => ({ current, epochs: list }))
      .catch((): EpochsResponse | null => null),
    listProviderRecords({ limit: PROVIDERS_SHOWN })
      .then((list): ProvidersResponse => ({ providers: list }))
      .catch((): ProvidersResponse | null => null),
    listEmissions({ limit: EMISSIONS_SHOWN })
      .then((list): EmissionsResponse => ({ emissions: list }))
      .catch((): EmissionsResponse | null => null),
    // Without an organisation: the built-in catalog and everyone's public uploaded models only.
    listModels().catch((): CatalogModels | null => null),
  ]);
  return (
    <>
      <SiteHeader
        nav={
          <>
            <ExplorerNav />
            <AccountLinks signUp={false} />
          </>
        }
      />
      <Main>
        <PageTitle>Network explorer</PageTitle>
        <Lede>Every worker, job and check on Proofgrid, live. Nothing here identifies a customer or a provider.</Lede>
        <LiveNetworkView initial={live} />
        <EpochStats initial={epochs} />
        <EmissionChart initial={emissions} />
        <ProviderRecords initial={providers} />
        <ModelCatalog models={models} />
      </Main>
      <SiteFooter>
        Data: <a href="/api/v1/network/live">/api/v1/network/live</a> · <a href="/api/v1/network/recent">/api/v1/network/recent</a> ·{" "}
        <a href="/api/v1/regions">/api/v1/regions</a> · <a href="/api/v1/verification/epochs">/api/v1/verification/epochs</a> ·{" "}
        <a href="/api/v1/network/providers">/api/v1/network/providers</a> ·{" "}
        <a href="/api/v1/rewards/emissions">/api/v1/rewards/emissions</a>
      </SiteFooter>
    </>
  );
}
