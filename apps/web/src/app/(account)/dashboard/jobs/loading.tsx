import styles from "../../account.module.css";

/** Shown while a jobs page renders on the server. */
export default function JobsLoading() {
  return (
    <div className={styles.page} aria-busy="true">
      <output className={styles.muted}>Loading jobs…</output>
      {[0, 1, 2, 3, 4].map((i) => (
        <span key={i} className={styles.skeleton} style={{ width: `${90 - i * 8}%` }} />
      ))}
    </div>
  );
}
