// The proxy drop-in as systemd itself reads it (`systemd-analyze verify`).
import { describe, expect, it } from "vitest";
import { renderProxyDropIn } from "../../components/nodes/render";
import { proxyUrlWithCredentials } from "../../components/proxy";
import { systemdEnvironment } from "./fake-node";

const PROXY = {
  http: "http://proxy.example.com:8080",
  https: "http://proxy.example.com:8443",
  noProxy: ["localhost", "127.0.0.1", "10.96.0.0/12", ".svc"],
};

describe("proxy drop-in", () => {
  it("gives systemd every variable in both cases, credentials percent-encoded and intact", async () => {
    const credentials = { username: "svc@corp", password: 'p@ss:w/rd%1 "x"' };
    const http = proxyUrlWithCredentials(PROXY.http, credentials);
    const https = proxyUrlWithCredentials(PROXY.https, credentials);
    const { environment, log } = await systemdEnvironment("containerd", renderProxyDropIn("containerd", { ...PROXY, http, https }));
    expect(log).not.toContain("Failed to resolve specifiers");
    const noProxy = PROXY.noProxy.join(",");
    expect(environment).toEqual({
      HTTP_PROXY: http,
      http_proxy: http,
      HTTPS_PROXY: https,
      https_proxy: https,
      NO_PROXY: noProxy,
      no_proxy: noProxy,
    });
    const url = new URL(environment.HTTPS_PROXY);
    expect([decodeURIComponent(url.username), decodeURIComponent(url.password)]).toEqual([credentials.username, credentials.password]);
  });
});
