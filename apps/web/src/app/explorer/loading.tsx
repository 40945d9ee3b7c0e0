import styles from "./explorer.module.css";

/** Shown while the server reads the first snapshot. */
export default function Loading() {
  return (
    <div className={styles.page}>
      <main id="main" aria-busy="true">
        <h1 className={styles.title}>Network explorer</h1>
        <p className={styles.lede}>Loading the live network…</p>
      </main>
    </div>
  );
}
