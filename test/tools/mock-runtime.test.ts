import { describe, expect, it } from "vitest";
import { isSecret, masked, plain, startMockRuntime } from "../../tools/mock-runtime";

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
});
