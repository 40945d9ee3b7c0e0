import type { Metadata } from "next";
import { API_SCOPES } from "~/server/auth/scopes";
import styles from "../../account.module.css";
import { requireDashboard } from "../../session";
import { DashboardShell } from "../dashboard-shell";
import { CreateKeyForm } from "./create-key-form";
import { RevokeKeyButton } from "./revoke-key-button";

export const dynamic = "force-dynamic";
export const metadata: Metadata = { title: "API keys · Proofgrid" };

const when = (d: Date | null) => (d ? `${d.toISOString().slice(0, 16).replace("T", " ")} UTC` : "never");

export default async function KeysPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const dashboard = await requireDashboard((await searchParams).org);
  const { org, caller } = dashboard;
  const owner = org.role === "owner";
  const keys = owner ? await caller.keys.list() : [];
  return (
    <DashboardShell dashboard={dashboard} current="/dashboard/keys">
      <h1 className={styles.title}>API keys</h1>
      <p className={styles.lede}>
        Keys of {org.name}. Send one as <code>Authorization: Bearer &lt;key&gt;</code> to <code>/api/v1</code>.
      </p>
      {owner ? (
        <>
          <h2 className={styles.h2}>Create a key</h2>
          <div className={styles.card}>
            <CreateKeyForm scopes={API_SCOPES} />
          </div>
          <h2 className={styles.h2} id="keys-heading">
            Keys
          </h2>
          {keys.length === 0 ? (
            <p className={styles.muted}>No API keys yet. Create one above to call the API.</p>
          ) : (
            <div className={styles.tableWrap}>
              <table className={styles.table} aria-labelledby="keys-heading">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Key</th>
                    <th scope="col">Scopes</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {keys.map((k) => (
                    <tr key={k.id} data-key-prefix={k.prefix} className={k.revokedAt ? styles.revoked : undefined}>
                      <td data-label="Name">{k.name}</td>
                      <td data-label="Key" className={styles.mono}>
                        {k.prefix}_…
                      </td>
                      <td data-label="Scopes">
                        <span>
                          {k.scopes.map((s) => (
                            <span key={s} className={styles.badge}>
                              {s}
                            </span>
                          ))}
                        </span>
                      </td>
                      <td data-label="Created">{when(k.createdAt)}</td>
                      <td data-label="Last used">{when(k.lastUsedAt)}</td>
                      <td data-label="Status">
                        <div>{k.revokedAt ? `Revoked ${when(k.revokedAt)}` : <RevokeKeyButton id={k.id} name={k.name} />}</div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : (
        <p className={styles.alert}>Only the organisation&apos;s owners manage its API keys. Ask an owner to create one for you.</p>
      )}
    </DashboardShell>
  );
}
