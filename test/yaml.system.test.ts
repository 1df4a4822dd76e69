// toYaml read back by a YAML 1.1 reader (Debian's PyYAML), as distribution's yaml.v2 and Spark's
// SnakeYAML read the files it writes: strings a 1.1 reader would take for booleans, null or numbers stay strings.
import { describe, expect, it } from "vitest";
import { toYaml } from "../components/yaml";
import { runOk } from "./harness/daemons";

const STRINGS = [
  "on",
  "off",
  "yes",
  "No",
  "y",
  "true",
  "null",
  "~",
  "",
  "0755",
  "1e3",
  "0x1F",
  ".5",
  "12:30",
  "@name@",
  "- x",
  "a: b",
  "#c",
];

describe("toYaml", () => {
  it("writes strings a YAML 1.1 reader gives back as the same strings, and leaves undefined fields out", async () => {
    const document = { strings: STRINGS, multiline: "line one\nline two\n", absent: undefined, count: 3, flag: true };
    const read = "import json, sys, yaml; print(json.dumps(yaml.safe_load(sys.stdin)))";
    const { stdout } = await runOk("/usr/bin/python3", ["-c", read], { input: toYaml(document) });
    expect(JSON.parse(stdout)).toEqual({ strings: STRINGS, multiline: "line one\nline two\n", count: 3, flag: true });
  });
});
