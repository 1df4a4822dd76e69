// bench and diff run the render the way `npm run render` does: with the node flags of its script.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { renderArgv, renderNodeFlags } from "../../tools/render-argv";
import { ROOT } from "../../tools/render";

describe("renderNodeFlags", () => {
  it("reads the flags between node and the render script", () => {
    expect(renderNodeFlags("npm run -s build && node --max-semi-space-size=32 --stack-size=900 bin/tools/render.js")).toEqual([
      "--max-semi-space-size=32",
      "--stack-size=900",
    ]);
    expect(renderNodeFlags("npm run -s build && node bin/tools/render.js")).toEqual([]);
  });

  it("gives node flags it accepts, from the repository's render script", () => {
    const argv = renderArgv(ROOT, ["--help"]);
    const flags = argv.slice(0, argv.indexOf(`${ROOT}/bin/tools/render.js`));
    expect(flags.length).toBeGreaterThan(0);
    // node refuses an unknown flag before running anything.
    const result = spawnSync(process.execPath, [...flags, "-e", ""], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
  });
});
