import type { ReactNode } from "react";
import styles from "./account.module.css";

/** The header every account page shares with the explorer: brand left, navigation right. */
export function SiteHeader({ children }: { children?: ReactNode }) {
  return (
    <>
      <a href="#main" className={styles.skip}>
        Skip to content
      </a>
      <header className={styles.header}>
        <a href="/" className={styles.brand}>
          Proofgrid
        </a>
        <nav aria-label="Site" className={styles.nav}>
          {children ?? (
            <>
              <a href="/explorer">Explorer</a>
              <a href="/signin">Sign in</a>
              <a href="/signup">Sign up</a>
            </>
          )}
        </nav>
      </header>
    </>
  );
}
