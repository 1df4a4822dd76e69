// Runs the mock tls provider (./mock-tls) on a worker thread: the certificate library loads and signs
// there while the main thread goes on registering the program's resources (tools/mock-runtime.ts).
import { parentPort } from "node:worker_threads";
import { tlsState } from "./mock-tls";

export interface TlsRequest {
  readonly id: number;
  readonly args: Parameters<typeof tlsState>;
}
export type TlsReply =
  | { readonly id: number; readonly result: Awaited<ReturnType<typeof tlsState>> }
  | { readonly id: number; readonly error: string };

parentPort?.on("message", async ({ id, args }: TlsRequest) => {
  let reply: TlsReply;
  try {
    reply = { id, result: await tlsState(...args) };
  } catch (error) {
    reply = { id, error: error instanceof Error ? error.message : String(error) };
  }
  parentPort?.postMessage(reply);
});
