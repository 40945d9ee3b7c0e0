import type { ReactNode } from "react";

export const metadata = { title: "Proofgrid", description: "Verified AI inference on independent GPUs" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
