// shellQuote, read back by the shells the scripts run under.
import { describe, expect, it } from "vitest";
import { shellQuote } from "../components/shell";
import { runOk } from "./harness/daemons";

const VALUES = ["", "plain", "it's", "''", "$HOME `id` $(id) ${X:-y}", 'a "b" \\c', "line\nbreak", "*?[a]~", " lead and trail "];

describe.each([["/bin/sh"], ["/bin/busybox", "sh"]])("shellQuote under %s", (...shell) => {
  it("gives every value back verbatim", async () => {
    const [command, ...args] = shell;
    const script = VALUES.map((value) => `printf '%s\\0' ${shellQuote(value)}`).join("\n");
    const { stdout } = await runOk(command, [...args, "-c", script]);
    expect(stdout.split("\0").slice(0, -1)).toEqual(VALUES);
  });
});
