// render() runs the program on every call, also a second time in one process: the unit project
// shares its workers between files (vitest.config.mts), so dev and prod may render in one.
import { describe, expect, it } from "vitest";
import { render } from "../../tools/render";
import { tempDir } from "../harness/daemons";

describe("render in one process", () => {
  it("declares the whole stack again on the second call", async () => {
    const first = await render("dev", tempDir("render-first"));
    const second = await render("dev", tempDir("render-second"));
    expect(first.resources.length).toBeGreaterThan(10);
    expect(second.resources.map((r) => r.urn)).toEqual(first.resources.map((r) => r.urn));
  });
});
