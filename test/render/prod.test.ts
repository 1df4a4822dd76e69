import { describe, expect, it } from "vitest";
import { checkStackRender } from "./check-stack";

describe("render of the prod stack", () => {
  it("declares only schema-valid objects and writes no secret", async () => {
    const { result } = await checkStackRender("prod");
    expect(result.summary).toContain("secure values not decrypted");
  });
});
