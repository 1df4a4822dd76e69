// Runs the mock tls provider (./mock-tls) on a worker thread: the certificate library loads and signs
// there while the main thread goes on registering the program's resources (tools/mock-runtime.ts).
import { parentPort } from "node:worker_threads";
import { tlsState } from "./mock-tls";

export type TlsState = Awaited<ReturnType<typeof tlsState>>;
export interface TlsRequest {
  readonly id: number;
  readonly args: Parameters<typeof tlsState>;
}
/** An error crosses to the main thread as itself, its stack included. */
export type TlsReply = { readonly id: number; readonly result: TlsState } | { readonly id: number; readonly error: unknown };

parentPort?.on("message", async ({ id, args }: TlsRequest) => {
  let reply: TlsReply;
  try {
    reply = { id, result: await tlsState(...args) };
  } catch (error) {
    reply = { id, error };
  }
  parentPort?.postMessage(reply);
});
