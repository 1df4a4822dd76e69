// The `proxy` config section, and the corporate proxy as its clients use it: credentials (Pulumi
// secrets up to here) inside the URLs. Node runtimes, the image build, the registry's Docker Hub
// cache and the Spark pods all take their proxy URLs from here.
import { z } from "zod";
import { isNetworkCidr, prefixLength } from "./ipv4";
import { httpUrl, isHost, NO_PROXY_SHORTEST_PREFIX } from "./validators";

/**
 * A NO_PROXY entry: a host, a domain suffix (`.example.com`) or a network CIDR no wider than the
 * ones the stack lists itself; the JVM's non-proxy list is made from it (`*` patterns per CIDR).
 */
const noProxyEntry = () => {
  const e = {
    error: `expected a host, an IPv4 address, a domain suffix (.example.com) or a network CIDR /${NO_PROXY_SHORTEST_PREFIX}–/32 (e.g. 10.20.0.0/16), without a port`,
  };
  return z
    .string(e)
    .refine(
      (v) => (v.includes("/") ? isNetworkCidr(v) && prefixLength(v) >= NO_PROXY_SHORTEST_PREFIX : isHost(v.replace(/^\*?\./, ""))),
      e,
    );
};

export const proxySchema = z.strictObject({
  /** Proxy for plain-HTTP traffic, without credentials (those are the secrets proxyUsername/proxyPassword). */
  http: httpUrl(),
  /** Proxy for HTTPS traffic. @default the `http` proxy */
  https: httpUrl().optional(),
  /** Extra NO_PROXY entries on top of the computed ones. @default [] */
  noProxy: z.array(noProxyEntry()).default([]),
});

export type ProxyConfig = z.output<typeof proxySchema>;

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
