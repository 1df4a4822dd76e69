// The registry's certificates as plain values: which names the serving certificate covers, how long
// the CA and the certificate live, what each may be used for. tls.ts declares them.
import { isIpv4 } from "../ipv4";
import type { RegistryConfig } from "./schema";
import { isLoopback } from "./schema";

/**
 * Ed25519: deterministic signatures (no per-signature nonce to get wrong), small keys, and read by
 * every client of the registry, all Go programs (dockerd, containerd, the kubelet, distribution).
 */
export const KEY_ALGORITHM = "ED25519";
/** The CA signs only the registry's certificates; it outlives many of them. */
export const CA_VALIDITY_HOURS = 10 * 365 * 24;
/** A year; `pulumi up` issues a new one in its last 30 days (the registry pods roll, the nodes keep the CA). */
export const SERVING_VALIDITY_HOURS = 365 * 24;
export const SERVING_EARLY_RENEWAL_HOURS = 30 * 24;
export const CA_USES = ["cert_signing", "crl_signing"];
export const SERVING_USES = ["digital_signature", "server_auth"];
export const ORGANIZATION = "spark-gpu-stack";

/** Where the registry's TLS comes from: the stack's own CA, the user's certificate, or none (plain HTTP). */
export type TlsSource = "generated" | "provided" | "none";

/**
 * A loopback registry is reached only on its own node and stays plain HTTP; `registry.insecure`
 * keeps any other one plain HTTP too (docs/ARCHITECTURE.md, "Registry trust").
 */
export function tlsSource(config: Pick<RegistryConfig, "host" | "insecure">, provided: boolean): TlsSource {
  if (provided) return "provided";
  return config.insecure || isLoopback(config.host) ? "none" : "generated";
}

/** The serving certificate's names: the address nodes and the builder use, and the node's name (registry and mirror alike). */
export function servingNames(config: Pick<RegistryConfig, "host" | "node">): { dnsNames: string[]; ipAddresses: string[] } {
  const names = [...new Set([config.host, ...(config.node === undefined ? [] : [config.node])])];
  return { dnsNames: names.filter((n) => !isIpv4(n)), ipAddresses: names.filter(isIpv4) };
}
