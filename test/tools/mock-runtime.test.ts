import { createPrivateKey, X509Certificate } from "node:crypto";
import { describe, expect, it } from "vitest";
import { isSecret, MOCK_TLS_VALID_FROM, masked, plain, resolve, startMockRuntime } from "../../tools/mock-runtime";

describe("recording mock runtime", () => {
  it("records parent, dependencies and secret inputs as the engine receives them", async () => {
    const rt = startMockRuntime({ config: { registry: { port: 6001 } } });
    const pulumi = await import("@pulumi/pulumi");
    const k8s = await import("@pulumi/kubernetes");
    class Box extends pulumi.ComponentResource {
      constructor(name: string) {
        super("test:index:Box", name, {}, {});
        const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: "demo" } }, { parent: this });
        new k8s.core.v1.Secret(
          "s",
          { metadata: { name: "s", namespace: ns.metadata.name }, stringData: { pw: pulumi.secret("hunter2") } },
          { parent: this },
        );
        this.registerOutputs({});
      }
    }
    new Box("box");
    await rt.settle();
    const secret = rt.one("kubernetes:core/v1:Secret");
    const ns = rt.one("kubernetes:core/v1:Namespace");
    expect(secret.parent).toMatch(/test:index:Box::box$/);
    expect(secret.dependencies).toContain(ns.urn);
    const wire = secret.wire as any;
    // The Kubernetes SDK wraps a Secret's whole stringData as one secret.
    expect(isSecret(wire.stringData)).toBe(true);
    expect(plain(wire).stringData.pw).toBe("hunter2");
    expect(masked(wire).stringData).toEqual({ pw: "[secret]" });
    expect(JSON.stringify(masked(wire))).not.toContain("hunter2");
    expect(new pulumi.Config("spark-gpu-stack").requireObject("registry")).toEqual({ port: 6001 });
  });

  it("calls the SDK back once: an error the SDK throws while reading the answer surfaces instead of hanging the program", async () => {
    startMockRuntime();
    const pulumi = await import("@pulumi/pulumi");
    const monitor = pulumi.runtime.getMonitor() as unknown as {
      registerResource(req: object, callback: (err: unknown, response: unknown) => void): Promise<void>;
    };
    const request = {
      getType: () => "random:index/randomId:RandomId",
      getName: () => "id",
      getCustom: () => true,
      getParent: () => "",
      getDependenciesList: () => [],
      getObject: () => undefined,
      getAliasesList: () => [],
      getProtect: () => undefined,
      getRetainondelete: () => undefined,
      getDeletebeforereplace: () => false,
      getReplaceonchangesList: () => [],
      getIgnorechangesList: () => [],
      getCustomtimeouts: () => undefined,
    };
    const calls: unknown[] = [];
    const sdkReadingTheAnswer = (err: unknown) => {
      calls.push(err);
      throw new TypeError("resp.getSomethingNew is not a function");
    };
    await expect(monitor.registerResource(request, sdkReadingTheAnswer)).rejects.toThrow("getSomethingNew");
    expect(calls).toEqual([null]);
  });
});

describe("mock tls provider", () => {
  it("issues real certificates: a CA and a serving certificate it signed, for the requested names, the same on every run", async () => {
    const certificates = async () => {
      const rt = startMockRuntime();
      const { declareRegistryTls } = await import("../../components/registry/tls.js");
      const { registrySchema } = await import("../../components/registry/schema.js");
      const config = registrySchema.parse({ host: "192.0.2.21", node: "gpu-node-1" });
      const tls = declareRegistryTls("registry-tls", config)!;
      const [ca, certificate, key] = await Promise.all([tls.caCertificate, tls.certificate, tls.privateKey].map((o) => resolve<string>(o)));
      await rt.settle();
      return { ca, certificate, key };
    };
    const { ca, certificate, key } = await certificates();
    expect([ca.secret, certificate.secret, key.secret]).toEqual([true, true, true]);
    const caCert = new X509Certificate(ca.value);
    const serving = new X509Certificate(certificate.value);
    expect(caCert.ca).toBe(true);
    expect(caCert.verify(caCert.publicKey)).toBe(true);
    expect(serving.ca).toBe(false);
    expect(serving.checkIssued(caCert)).toBe(true);
    expect(serving.verify(caCert.publicKey)).toBe(true);
    expect(serving.checkIP("192.0.2.21")).toBe("192.0.2.21");
    expect(serving.checkHost("gpu-node-1")).toBe("gpu-node-1");
    expect(serving.checkIP("192.0.2.22")).toBeUndefined();
    expect(serving.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]);
    // The key is the certificate's.
    expect(serving.checkPrivateKey(createPrivateKey(key.value))).toBe(true);
    expect(new Date(serving.validFrom).toISOString()).toBe(MOCK_TLS_VALID_FROM.toISOString());
    expect((await certificates()).certificate.value).toBe(certificate.value);
  });
});
