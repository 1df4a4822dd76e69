// loadConfig under Pulumi's mock runtime: what reaches the user besides the parsed config.
import { afterEach, describe, expect, it, vi } from "vitest";
import { startMockRuntime } from "../../tools/mock-runtime";

afterEach(() => vi.restoreAllMocks());

describe("loadConfig", () => {
  it("warns, naming the stack file and key, when a secret is set in plain text, and never prints the value", async () => {
    const warned: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((line: string) => void warned.push(line));
    startMockRuntime({
      stack: "prod",
      config: { proxy: { http: "http://proxy.example.com:8080" }, proxyUsername: "plain-user-marker", proxyPassword: "plain-pass-marker" },
      secretKeys: ["proxyUsername"],
    });
    const { loadConfig } = await import("../../components/config.js");
    loadConfig();
    expect(warned).toEqual([
      "warning: [runtime] Pulumi.prod.yaml: spark-gpu-stack:proxyPassword is set in plain text, so the stack file holds it unencrypted; set it with `pulumi config set --secret proxyPassword`",
    ]);
    expect(warned.join("\n")).not.toContain("marker");
  });
});
