import { describe, expect, it } from "vitest";
import { checkStackRender } from "./check-stack";

describe("render of the dev stack", () => {
  it("declares only schema-valid objects and writes no secret", async () => {
    const { result, written } = await checkStackRender("dev");
    expect(written.some((f) => f.endsWith("resources.json"))).toBe(true);
    expect(written.some((f) => f.endsWith("graph.mmd"))).toBe(true);
    expect(result.summary).toMatch(/^Rendered stack "dev"/);
  });
});
