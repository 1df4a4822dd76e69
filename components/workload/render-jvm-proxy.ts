// The proxy as the JVM reads it. The JVM ignores HTTP(S)_PROXY; it reads system properties, and its
// non-proxy list has `*` wildcards but no CIDR or leading-dot syntax (docs/ARCHITECTURE.md, "Proxy").
import { isIpv4, octetWildcards } from "../ipv4";
import type { ProxyConfig } from "../proxy";

/** NO_PROXY entries (curl's reading: a name covers its subdomains) as `http.nonProxyHosts` patterns. */
export function jvmNonProxyHosts(noProxy: readonly string[]): string[] {
  const patterns = noProxy.flatMap((entry) => {
    if (entry.includes("/")) return octetWildcards(entry);
    if (isIpv4(entry)) return [entry];
    const name = entry.replace(/^\*?\./, "");
    return entry === "localhost" ? [entry] : [name, `*.${name}`];
  });
  return [...new Set(patterns)];
}

/**
 * The `-D` options that send the JVM's HTTP and HTTPS fetches (a remote mainFile, Ivy's
 * spark.jars.packages) through the proxy. Without credentials only: the JDK reads no property for
 * proxy credentials, and the config check refuses JVM fetches behind a proxy that needs them.
 */
export function jvmProxyOptions(proxy: ProxyConfig, noProxy: readonly string[]): string[] {
  const hostPort = (url: string) => {
    const u = new URL(url);
    return { host: u.hostname, port: u.port || (u.protocol === "https:" ? "443" : "80") };
  };
  const http = hostPort(proxy.http);
  const https = hostPort(proxy.https ?? proxy.http);
  return [
    `-Dhttp.proxyHost=${http.host}`,
    `-Dhttp.proxyPort=${http.port}`,
    `-Dhttps.proxyHost=${https.host}`,
    `-Dhttps.proxyPort=${https.port}`,
    // One list for both schemes: the JVM reads http.nonProxyHosts for HTTPS too.
    `-Dhttp.nonProxyHosts=${jvmNonProxyHosts(noProxy).join("|")}`,
  ];
}
