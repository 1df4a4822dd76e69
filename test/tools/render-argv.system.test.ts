// The repository's render script gives node flags node accepts (bench and diff run renders with them).
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { renderArgv } from "../../tools/render-argv";
import { ROOT } from "../../tools/render";

describe("renderArgv", () => {
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
