// Programs in sh, awk and Python are kept as files in components/<part>/scripts/, where editors and
// `npm run lint:scripts` see them, and renderers include their text. tsc does not copy them to
// bin/, so they are read from the package root: found the same way from source (vitest) and from
// bin/ (Pulumi).
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";

const PACKAGE_ROOT = (() => {
  let dir = __dirname;
  while (!existsSync(join(dir, "package.json"))) {
    if (dirname(dir) === dir) throw new Error(`no package.json above ${__dirname}`);
    dir = dirname(dir);
  }
  return dir;
})();

/** The text of components/<part>/scripts/<file>. Renderers call it once, at module level. */
export function readScript(part: string, file: string): string {
  return readFileSync(join(PACKAGE_ROOT, "components", part, "scripts", file), "utf8");
}
