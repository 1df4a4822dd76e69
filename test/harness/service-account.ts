// A pod's service account directory (ca.crt, token, namespace) for programs that call the API
// server, with a fresh self-signed certificate for an API stand-in on 127.0.0.1.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Daemon, freePort, run, runOk, startDaemon } from "./daemons";

/** The path every pod mounts its service account at; programs are pointed at a temporary copy. */
export const SERVICE_ACCOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Writes `<dir>/serviceaccount/` and the stand-in's key `<dir>/tls.key`; the CA is the stand-in's certificate. */
export async function fakeServiceAccount(dir: string, token: string, namespace: string) {
  const serviceAccountDir = join(dir, "serviceaccount");
  mkdirSync(serviceAccountDir);
  const keyFile = join(dir, "tls.key");
  const certificateFile = join(serviceAccountDir, "ca.crt");
  await runOk("openssl", [
    ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=kubernetes"],
    ...["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", keyFile, "-out", certificateFile],
  ]);
  writeFileSync(join(serviceAccountDir, "token"), `${token}\n`);
  writeFileSync(join(serviceAccountDir, "namespace"), namespace);
  return { serviceAccountDir, keyFile, certificateFile };
}

/** How every API stand-in serves its `Handler`: HTTPS on 127.0.0.1 with the certificate the service account trusts. */
const SERVE_HANDLER_OVER_TLS = `
server = http.server.HTTPServer(("127.0.0.1", port), Handler)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
`;

/**
 * Runs a Python API stand-in as `python3 api.py <port> <cert> <key> ...args`, ready once it accepts:
 * `source` reads `port`, `cert` and `key` from argv and defines `Handler`; the stand-in serves it over TLS.
 */
export async function startApiStandIn(
  dir: string,
  source: string,
  tls: { readonly certificateFile: string; readonly keyFile: string },
  args: readonly string[],
): Promise<{ api: Daemon; port: number }> {
  writeFileSync(join(dir, "api.py"), source + SERVE_HANDLER_OVER_TLS);
  const port = await freePort();
  const accepts = async () =>
    (await run("python3", ["-c", `import socket; socket.create_connection(("127.0.0.1", ${port}), 1)`])).code === 0;
  const api = await startDaemon("api-stand-in", "python3", [join(dir, "api.py"), String(port), tls.certificateFile, tls.keyFile, ...args], {
    ready: accepts,
  });
  return { api, port };
}
