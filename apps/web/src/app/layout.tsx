import type { ReactNode } from "react";
import "./globals.css";

export const metadata = { title: "Proofgrid", description: "Verified AI inference on independent GPUs" };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="min-h-screen antialiased">{children}</body>
    </html>
  );
}
