// The scripts run for real by /bin/sh, with a stand-in `hdfs` on PATH that treats its
// storage directory the way Hadoop's does, in temp dirs.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NAMENODE_START_SCRIPT, renderCreateDirectoriesScript, STORAGE_DIRS } from "../../components/hdfs/render";
import { shellQuote } from "../../components/shell";
import { run, tempDir } from "../harness/daemons";

// Like `hdfs namenode -format` (Storage.confirmFormat): an empty or missing directory is formatted
// with a fresh cluster ID; one holding anything makes -nonInteractive refuse with exit 1, while
// without it the operator is asked and answering yes wipes it (as -force does). Every call is logged.
const STAND_IN_HDFS = `#!/bin/sh
echo "$*" >> "$HDFS_CALLS"
case "$*" in
  "namenode -format"*)
    if [ -d "$NAME_DIR" ] && [ -n "$(ls -A "$NAME_DIR")" ]; then
      case "$*" in
        *-nonInteractive*) echo "Running in non-interactive mode, and data appears to exist in Storage Directory $NAME_DIR. Not formatting." >&2; exit 1 ;;
        *) rm -rf "$NAME_DIR" ;;
      esac
    fi
    mkdir -p "$NAME_DIR/current"
    echo "clusterID=CID-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \\n')" > "$NAME_DIR/current/VERSION"
    ;;
  namenode) echo "NameNode running on $NAME_DIR" ;;
  *) echo "unexpected hdfs call: $*" >&2; exit 2 ;;
esac
`;

/** A temp dir with a stand-in `hdfs` first on PATH, logging its calls; scripts run there by /bin/sh. */
function sandbox(standIn: string, env: Record<string, string> = {}) {
  const root = tempDir("hdfs-script");
  const bin = join(root, "bin");
  mkdirSync(bin);
  writeFileSync(join(bin, "hdfs"), standIn);
  chmodSync(join(bin, "hdfs"), 0o755);
  const callLog = join(root, "calls.log");
  writeFileSync(callLog, "");
  return {
    calls: () => readFileSync(callLog, "utf8").split("\n").filter(Boolean),
    run: (script: string) => {
      const file = join(root, "script.sh");
      writeFileSync(file, script);
      return run("/bin/sh", [file], { env: { PATH: `${bin}:/usr/bin:/bin`, HDFS_CALLS: callLog, ...env } });
    },
  };
}

/** The NameNode's start script as deployed, its metadata directory (STORAGE_DIRS.name) moved to a temp dir. */
function nameNodeSandbox() {
  const nameDir = join(tempDir("hdfs-volume"), "name");
  const box = sandbox(STAND_IN_HDFS, { NAME_DIR: nameDir });
  const deployed = `name_dir=${shellQuote(STORAGE_DIRS.name)}\n`;
  expect(NAMENODE_START_SCRIPT).toContain(deployed);
  const script = NAMENODE_START_SCRIPT.replace(deployed, `name_dir=${shellQuote(nameDir)}\n`);
  return { ...box, nameDir, script, start: box.run, version: () => readFileSync(join(nameDir, "current", "VERSION"), "utf8") };
}

describe("NameNode start script", () => {
  it("formats a volume holding no filesystem once, then never again", async () => {
    const box = nameNodeSandbox();
    const first = await box.start(box.script);
    expect(first.code).toBe(0);
    expect(box.calls()).toEqual(["namenode -format -nonInteractive", "namenode"]);
    const formatted = box.version();
    expect(formatted).toMatch(/^clusterID=CID-[0-9a-f]{16}$/m);

    for (let restart = 0; restart < 2; restart++) {
      const again = await box.start(box.script);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain("starting the NameNode without formatting");
    }
    expect(box.calls()).toEqual(["namenode -format -nonInteractive", "namenode", "namenode", "namenode"]);
    expect(box.version()).toBe(formatted);
  });

  it("formats an existing but empty directory (a fresh volume)", async () => {
    const box = nameNodeSandbox();
    mkdirSync(box.nameDir, { recursive: true });
    expect((await box.start(box.script)).code).toBe(0);
    expect(box.calls()).toEqual(["namenode -format -nonInteractive", "namenode"]);
  });

  it("stops, leaving the directory untouched, when it holds data but no current/VERSION", async () => {
    const box = nameNodeSandbox();
    mkdirSync(join(box.nameDir, "current"), { recursive: true });
    writeFileSync(join(box.nameDir, "current", "fsimage_0000000000000000042"), "namespace");

    const result = await box.start(box.script);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("left untouched for inspection");
    expect(box.calls()).toEqual(["namenode -format -nonInteractive"]);
    expect(readFileSync(join(box.nameDir, "current", "fsimage_0000000000000000042"), "utf8")).toBe("namespace");
  });

  it("the stand-in catches a reformat: the seed's unconditional `-format` replaces the filesystem", async () => {
    const box = nameNodeSandbox();
    await box.start(box.script);
    const formatted = box.version();
    const seedProcedure = "#!/bin/sh\nset -eu\nhdfs namenode -format\nexec hdfs namenode\n";
    expect((await box.start(seedProcedure)).code).toBe(0);
    expect(existsSync(join(box.nameDir, "current", "VERSION"))).toBe(true);
    expect(box.version()).not.toBe(formatted);
  });
});

describe("directory creation script", () => {
  // Logs each call's arguments one by one, bracketed, so quoting mistakes show; fails the call equal to FAIL_ON.
  const STAND_IN_CLIENT = `#!/bin/sh\nline=""\nfor arg in "$@"; do line="$line[$arg]"; done\necho "$line" >> "$HDFS_CALLS"\n[ "$*" != "$FAIL_ON" ]\n`;
  const directoriesSandbox = (failOn = "") => sandbox(STAND_IN_CLIENT, { FAIL_ON: failOn });

  it("waits for the NameNode to leave safe mode, then creates each directory with its owner, group and mode", async () => {
    const box = directoriesSandbox();
    const result = await box.run(
      renderCreateDirectoriesScript([
        { path: "/tmp", owner: "hadoop", group: "supergroup", mode: "1777" },
        { path: "/user/spark", owner: "spark", group: "spark", mode: "755" },
      ]),
    );
    expect(result.code).toBe(0);
    expect(box.calls()).toEqual([
      "[dfsadmin][-safemode][wait]",
      "[dfs][-mkdir][-p][/tmp]",
      "[dfs][-chown][hadoop:supergroup][/tmp]",
      "[dfs][-chmod][1777][/tmp]",
      "[dfs][-mkdir][-p][/user/spark]",
      "[dfs][-chown][spark:spark][/user/spark]",
      "[dfs][-chmod][755][/user/spark]",
    ]);
  });

  it("passes paths through the shell untouched", async () => {
    const box = directoriesSandbox();
    const path = `/it's a $HOME; "dir"`;
    expect((await box.run(renderCreateDirectoriesScript([{ path, owner: "spark", group: "spark", mode: "700" }]))).code).toBe(0);
    expect(box.calls()[1]).toBe(`[dfs][-mkdir][-p][${path}]`);
  });

  it("fails the Job at the first failing call", async () => {
    const box = directoriesSandbox("dfs -chown spark:spark /user/spark");
    const result = await box.run(
      renderCreateDirectoriesScript([
        { path: "/user/spark", owner: "spark", group: "spark", mode: "755" },
        { path: "/tmp", owner: "hadoop", group: "supergroup", mode: "1777" },
      ]),
    );
    expect(result.code).not.toBe(0);
    expect(box.calls()).toEqual([
      "[dfsadmin][-safemode][wait]",
      "[dfs][-mkdir][-p][/user/spark]",
      "[dfs][-chown][spark:spark][/user/spark]",
    ]);
  });
});

async function shellcheck(script: string) {
  const file = join(tempDir("hdfs-shellcheck"), "script.sh");
  writeFileSync(file, script);
  return run("shellcheck", ["--shell=sh", "--severity=style", file]);
}

// The static part is linted as a file (npm run lint:scripts); this checks it with the calls appended.
describe("rendered directory creation script", () => {
  it("passes shellcheck", async () => {
    const result = await shellcheck(renderCreateDirectoriesScript([{ path: "/tmp", owner: "hadoop", group: "supergroup", mode: "1777" }]));
    expect(result.stdout + result.stderr).toBe("");
    expect(result.code).toBe(0);
  });
});
