// The corporate proxy as its clients use it: credentials (Pulumi secrets up to here) inside the
// URLs. Node runtimes, the image build, the registry's Docker Hub cache and the Spark pods all
// take their proxy URLs from here.
import type { ProxyConfig } from "./config";

export interface ProxyCredentials {
  readonly username: string;
  readonly password: string;
}

/** A proxy URL with `user:password@` inserted, both percent-encoded. */
export function proxyUrlWithCredentials(url: string, credentials?: ProxyCredentials): string {
  if (!credentials) return url;
  const u = new URL(url);
  u.username = encodeURIComponent(credentials.username);
  u.password = encodeURIComponent(credentials.password);
  // URL.toString() adds a trailing "/" to a bare origin; keep the configured form.
  return url.endsWith("/") ? u.toString() : u.toString().replace(/\/$/, "");
}

/** The proxies for plain HTTP and for HTTPS (the HTTP one unless set), credentials inside. */
export function proxyUrls(proxy: ProxyConfig, credentials?: ProxyCredentials): { readonly http: string; readonly https: string } {
  return { http: proxyUrlWithCredentials(proxy.http, credentials), https: proxyUrlWithCredentials(proxy.https ?? proxy.http, credentials) };
}
