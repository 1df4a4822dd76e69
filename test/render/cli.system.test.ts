// `npm run render` as a newcomer meets it: the compiled CLI in a child process.
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { run, tempDir } from "../harness/daemons";

const CLI = join(__dirname, "..", "..", "bin", "tools", "render.js");

describe("render CLI", () => {
  it("exits non-zero with every config problem, declares nothing and never prints a secret", async () => {
    const dir = tempDir("render-cli");
    const stackFile = join(dir, "Pulumi.broken.yaml");
    writeFileSync(
      stackFile,
      [
        "config:",
        "  spark-gpu-stack:cluster:",
        "    podCidr: 10.244.0.1/16",
        "  spark-gpu-stack:dns: [192.0.2.300]",
        "  spark-gpu-stack:proxyUsername:",
        "    secure: v1:AAAA",
      ].join("\n"),
    );
    const result = await run("node", [CLI, stackFile, "--out", join(dir, "out")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("Pulumi.broken.yaml: invalid configuration for spark-gpu-stack (4 problems)");
    expect(result.stderr).toContain("cluster.podCidr: expected an IPv4 CIDR");
    expect(result.stderr).toContain(
      'dns[0]: expected the IPv4 address of a DNS server, not loopback (inside a container that is the container itself), 0.0.0.0/8, multicast or broadcast, got "192.0.2.300"',
    );
    expect(result.stderr).toContain("proxyPassword: expected both proxyUsername and proxyPassword (secrets) or neither");
    expect(result.stderr).toContain("proxy: expected a proxy section (http URL) when proxy credentials are set");
    expect(result.stderr + result.stdout).not.toContain("undecrypted-secure-");
    expect(existsSync(join(dir, "out"))).toBe(false);
  });

  it("renders a stack by name into --out and prints a summary", async () => {
    const dir = tempDir("render-cli");
    const result = await run("node", [CLI, "dev", "--out", dir]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^Rendered stack "dev": \d+ resources in \d+ components, \d+ ms/);
    expect(existsSync(join(dir, "dev", "resources.json"))).toBe(true);
  });

  it.each([
    ["a tab as indentation", "config:\n\tspark-gpu-stack:dns: []\n", ":2:1: invalid YAML: Tabs are not allowed as indentation"],
    ["an unclosed bracket", "config:\n  spark-gpu-stack:dns: [192.0.2.53\n", ":3:1: invalid YAML: Flow sequence in block collection"],
  ])("names the file, the line and the problem of a stack file with %s, in one line", async (_, text, expected) => {
    const stackFile = join(tempDir("render-cli"), "Pulumi.broken.yaml");
    writeFileSync(stackFile, text);
    const result = await run("node", [CLI, stackFile]);
    expect(result.code).toBe(1);
    expect(result.stderr.startsWith(`${stackFile}${expected}`), result.stderr).toBe(true);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\bat \S+ \(|YAMLParseError|linePos/);
  });

  it("prints a missing stack path as given, in one line", async () => {
    const missing = join(tempDir("render-cli"), "nowhere", "Pulumi.gone.yaml");
    const result = await run("node", [CLI, missing]);
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toBe(`${missing}: no such stack file`);
  });

  it("writes in place: removes only files no longer rendered and leaves unchanged files untouched", async () => {
    const dir = tempDir("render-cli");
    const stale = join(dir, "dev", "kubernetes", "Stale.removed.yaml");
    mkdirSync(dirname(stale), { recursive: true });
    writeFileSync(stale, "kind: Stale\n");
    expect((await run("node", [CLI, "dev", "--out", dir])).code).toBe(0);
    expect(existsSync(stale)).toBe(false);
    const graph = join(dir, "dev", "graph.mmd");
    utimesSync(graph, 1, 1);
    expect((await run("node", [CLI, "dev", "--out", dir])).code).toBe(0);
    expect(statSync(graph).mtimeMs).toBe(1000);
  });

  it("never shows a secret given as a plain value: not in out/, not on the terminal, in no encoding", async () => {
    const dir = tempDir("render-cli");
    // A unique core that survives URL-encoding (and systemd's %%) unchanged, around characters that do not.
    const marker = (key: string) => `Mk7q${key}Xw9k@:/Zp`;
    const prod = readFileSync(join(__dirname, "..", "..", "stacks", "Pulumi.prod.yaml"), "utf8");
    const planted = prod.replace(
      /^( {2}spark-gpu-stack:(\w+):)\n {4}secure: .*$/gm,
      (_, key: string, name: string) => `${key} ${JSON.stringify(marker(name))}`,
    );
    const keys = [...prod.matchAll(/^ {2}spark-gpu-stack:(\w+):\n {4}secure:/gm)].map((m) => m[1]);
    expect(keys.sort()).toEqual(["proxyPassword", "proxyUsername", "registryPassword", "sshPrivateKey"]);
    const stackFile = join(dir, "Pulumi.planted.yaml");
    writeFileSync(stackFile, planted);
    const result = await run("node", [CLI, stackFile, "--out", join(dir, "out")]);
    expect(result.code, result.stderr).toBe(0);
    // Base64 at each of the three alignments a marker can have inside a longer encoded value.
    const base64Forms = (text: string) =>
      [0, 1, 2].map((pad) =>
        Buffer.from(`${"x".repeat(pad)}${text}`)
          .toString("base64")
          .slice(pad === 0 ? 0 : 4, -4),
      );
    const shown = (root: string): string[] =>
      readdirSync(root, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? shown(join(root, e.name)) : [readFileSync(join(root, e.name), "utf8")],
      );
    const everything = [result.stdout, result.stderr, ...shown(join(dir, "out"))].join("\n");
    for (const key of keys) {
      for (const form of [`Mk7q${key}Xw9k`, ...base64Forms(marker(key))]) expect(everything, `${key} as ${form}`).not.toContain(form);
    }
    expect(result.stderr).toContain("proxyPassword");
  });

  it("warns about a key whose project prefix is misspelled, instead of dropping the section silently", async () => {
    const stackFile = join(tempDir("render-cli"), "Pulumi.typo.yaml");
    writeFileSync(stackFile, "config:\n  spark-gpu-stak:hdfs:\n    enabled: true\n");
    const result = await run("node", [CLI, stackFile, "--out", tempDir("render-cli")]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain('spark-gpu-stak:hdfs: the prefix "spark-gpu-stak" is not "spark-gpu-stack", so this key is ignored');
  });

  it("explains its usage", async () => {
    const result = await run("node", [CLI]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("usage: npm run render -- <stack name | path to Pulumi.<stack>.yaml> [--out DIR]");
  });
});

describe("stack coverage", () => {
  it("has a render check for every stack in stacks/", async () => {
    const { readdirSync } = await import("node:fs");
    const stacks = readdirSync(join(__dirname, "..", "..", "stacks"))
      .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
      .filter(Boolean);
    expect(stacks.length).toBeGreaterThan(0);
    for (const stack of stacks) expect(existsSync(join(__dirname, `${stack}.test.ts`)), `test/render/${stack}.test.ts`).toBe(true);
  });
});
