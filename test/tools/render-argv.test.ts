// bench and diff run the render the way `npm run render` does: with the node flags of its script.
import { describe, expect, it } from "vitest";
import { renderNodeFlags } from "../../tools/render-argv";

describe("renderNodeFlags", () => {
  it("reads the flags between node and the render script", () => {
    expect(renderNodeFlags("npm run -s build && node --max-semi-space-size=32 --stack-size=900 bin/tools/render.js")).toEqual([
      "--max-semi-space-size=32",
      "--stack-size=900",
    ]);
    expect(renderNodeFlags("npm run -s build && node bin/tools/render.js")).toEqual([]);
  });
});
