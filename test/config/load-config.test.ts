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

describe("a misspelled project prefix", () => {
  it("is warned about, naming the key and the prefix meant; other packages' keys are not", async () => {
    const warned: string[] = [];
    vi.spyOn(console, "warn").mockImplementation((line: string) => void warned.push(line));
    startMockRuntime({
      stack: "prod",
      config: {
        "spark-gpu-stak:hdfs": { enabled: true },
        "Spark-GPU-Stack:dns": ["192.0.2.53"],
        "kubernetes:context": "prod",
        "spark-operator:image": "x",
      },
    });
    const { loadConfig } = await import("../../components/config.js");
    loadConfig();
    expect(warned).toEqual([
      'warning: [runtime] Pulumi.prod.yaml: spark-gpu-stak:hdfs: the prefix "spark-gpu-stak" is not "spark-gpu-stack", so this key is ignored; did you mean spark-gpu-stack:hdfs?',
      'warning: [runtime] Pulumi.prod.yaml: Spark-GPU-Stack:dns: the prefix "Spark-GPU-Stack" is not "spark-gpu-stack", so this key is ignored; did you mean spark-gpu-stack:dns?',
    ]);
  });
});
