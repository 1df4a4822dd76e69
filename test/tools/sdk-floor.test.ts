// The bench's SDK floor registers what it says: as many valid ConfigMaps as asked, under one component.
import { describe, expect, it } from "vitest";
import { plain } from "../../tools/mock-runtime";
import { validateKubernetesObject } from "../harness/kubernetes-schema";

describe("SDK floor", () => {
  it("registers the asked number of valid ConfigMaps, each a child of its one component", async () => {
    const { registerConfigMaps } = await import("../../tools/sdk-floor.js");
    const runtime = await registerConfigMaps(3);
    const [component, ...others] = runtime.resources.filter((r) => !r.custom);
    expect(others).toEqual([]);
    const configMaps = runtime.ofType("kubernetes:core/v1:ConfigMap");
    expect(configMaps.map((r) => r.name).sort()).toEqual(["config-0", "config-1", "config-2"]);
    expect(runtime.resources).toHaveLength(4);
    for (const r of configMaps) {
      expect(r.parent).toBe(component.urn);
      validateKubernetesObject(plain(r.wire));
    }
  });
});
