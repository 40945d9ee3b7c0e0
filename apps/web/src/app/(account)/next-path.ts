/**
 * Where to go after signing in or up (`?next=`): a path on this site only — never another
 * origin (`//evil.example`, `/\evil.example`) — so a crafted link cannot send someone away.
 */
export function safeNextPath(value: string | string[] | undefined): string | null {
  if (typeof value !== "string" || value.length > 500) return null;
  if (!value.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return null;
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) < 0x20) return null;
  return value;
}
