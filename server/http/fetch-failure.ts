// Why an outgoing fetch (fallback webhook, registry sync) failed, in words safe to store and show.
// fetch's own messages quote the URL ("Failed to parse URL from https://...?secret=...",
// "Request cannot be constructed from a URL that includes credentials: https://u:p@..."), and
// those URLs come from configuration and often carry a secret.

/** The failure's cause (code or message) with the URL and its secret-bearing parts removed. */
export function fetchFailure(err: Error, url: string): string {
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  let text = typeof cause?.code === "string" ? cause.code : typeof cause?.message === "string" ? cause.message : err.message;
  const secrets = [url];
  try {
    const u = new URL(url);
    secrets.push(u.href, u.username, u.password, u.search, u.pathname.length > 1 ? u.pathname : "");
  } catch {
    /* not a URL: the whole value is the only thing to hide */
  }
  for (const s of secrets) if (s && s.length >= 3) text = text.split(s).join("<URL>");
  return text.slice(0, 200);
}
