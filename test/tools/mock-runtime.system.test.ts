// The mock tls provider's worker thread in a bare node process, where no test runner holds the
// process open: it must answer while a certificate is owed, then let the process end.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

describe("mock tls provider's worker thread", () => {
  it("answers a process that has nothing else to wait for, and then lets it end", () => {
    // The compiled runtime in a bare node: no test runner holds the process open for it.
    const bin = join(__dirname, "..", "..", "bin");
    const script = `
      const { resolve, startMockRuntime } = require(${JSON.stringify(join(bin, "tools", "mock-runtime.js"))});
      startMockRuntime();
      const tls = require("@pulumi/tls");
      const key = new tls.PrivateKey("ca", { algorithm: "ED25519" });
      const cert = new tls.SelfSignedCert("ca", { privateKeyPem: key.privateKeyPem, validityPeriodHours: 1, allowedUses: ["cert_signing"] });
      resolve(cert.certPem).then(({ value }) => console.log(value.split("\\n")[0]));
    `;
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 30_000 });
    expect(run.signal).toBeNull(); // not killed at the timeout: the idle worker does not hold the process
    expect(run.status).toBe(0);
    expect(run.stdout.trim()).toBe("-----BEGIN CERTIFICATE-----");
  });
});
