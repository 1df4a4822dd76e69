// The proxy drop-in as systemd itself reads it (`systemd-analyze verify`), and its EnvironmentFile
// as the shell reads it (systemd gives double-quoted values the shell's escapes, systemd.exec(5)).
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { proxyEnvironmentFilePath, renderProxyDropIn, renderProxyEnvironmentFile } from "../../components/nodes/render";
import { proxyUrlWithCredentials } from "../../components/proxy";
import { tempDir } from "../harness/daemons";
import { environmentFileValues, systemdEnvironment } from "./fake-node";

const PROXY = {
  http: "http://proxy.example.com:8080",
  https: "http://proxy.example.com:8443",
  noProxy: ["localhost", "127.0.0.1", "10.96.0.0/12", ".svc"],
};

const valuesOf = async (content: string) => {
  const path = join(tempDir("proxy-env"), "proxy.env");
  writeFileSync(path, content);
  return environmentFileValues(path);
};

describe("proxy drop-in and EnvironmentFile", () => {
  it("the drop-in names the EnvironmentFile and sets no variable itself", async () => {
    const { environment, environmentFiles, log } = await systemdEnvironment("containerd", renderProxyDropIn("containerd"));
    expect(log).not.toMatch(/http-proxy\.conf:\d+:/); // where systemd reports a line it rejects
    expect(environment).toEqual({});
    expect(environmentFiles).toEqual([proxyEnvironmentFilePath("containerd")]);
  });

  it.for([
    ["percent-encoded credentials", proxyUrlWithCredentials(PROXY.http, { username: "svc@corp", password: 'p%s$ "x\\y" #1 `z`' })],
    ["a value with the file's special characters themselves", 'http://u:p%s$HOME "x\\y" #1 `z`@proxy.example.com:8080'],
  ])("gives every variable in both cases, %s intact", async ([_, http]) => {
    const https = `${http}/s`;
    const values = await valuesOf(renderProxyEnvironmentFile("containerd", { ...PROXY, http, https }));
    const noProxy = PROXY.noProxy.join(",");
    expect(values).toEqual({
      HTTP_PROXY: http,
      http_proxy: http,
      HTTPS_PROXY: https,
      https_proxy: https,
      NO_PROXY: noProxy,
      no_proxy: noProxy,
    });
  });

  it("keeps the password of a credentialed URL", async () => {
    const credentials = { username: "svc@corp", password: 'p@ss:w/rd%1 "x" $y \\z #' };
    const http = proxyUrlWithCredentials(PROXY.http, credentials);
    const values = await valuesOf(renderProxyEnvironmentFile("docker", { ...PROXY, http, https: http }));
    const url = new URL(values.HTTPS_PROXY);
    expect([decodeURIComponent(url.username), decodeURIComponent(url.password)]).toEqual([credentials.username, credentials.password]);
  });
});
