// The registry's images survive `pulumi destroy` and a renamed namespace: the options Pulumi would
// receive on the data claim and the namespace, as the mock runtime recorded them.
import { describe, expect, it } from "vitest";
import type { MockRuntime } from "../../tools/mock-runtime";
import { PROD, renderRegistry } from "./rendered-component";

/** `<type name>` → the data-keeping options of every resource that has any. */
function kept(rt: MockRuntime): Record<string, { protect: boolean; retainOnDelete: boolean }> {
  return Object.fromEntries(
    rt.resources
      .filter((r) => r.options.protect || r.options.retainOnDelete)
      .map((r) => [`${r.type.split(":").pop()}/${r.name}`, { protect: r.options.protect, retainOnDelete: r.options.retainOnDelete }]),
  );
}

describe("registry data retention", () => {
  it("protects and retains the data claim and the namespace by default, and nothing else (the mirror is a cache)", async () => {
    const { rt } = await renderRegistry(PROD);
    expect(kept(rt)).toEqual({
      "Namespace/registry-namespace": { protect: true, retainOnDelete: true },
      "PersistentVolumeClaim/registry-data": { protect: true, retainOnDelete: true },
    });
  });

  it("with registry.protect false, still retains both on delete, unprotected", async () => {
    const { rt } = await renderRegistry({ ...PROD, registry: { ...PROD.registry, protect: false } });
    expect(kept(rt)).toEqual({
      "Namespace/registry-namespace": { protect: false, retainOnDelete: true },
      "PersistentVolumeClaim/registry-data": { protect: false, retainOnDelete: true },
    });
  });
});
