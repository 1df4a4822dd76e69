// What the @pulumi/tls provider answers, computed for the mock runtime on its worker thread
// (./mock-tls-worker): real keys, requests and certificates (node:crypto and @peculiar/x509), so the
// files tests hand to real programs (the registry, dockerd, containerd) are real. Deterministic: a
// key is derived from its resource's name and Ed25519 signs without randomness, so renders are stable.
import { createHash, createPrivateKey, createPublicKey, webcrypto } from "node:crypto";
import "reflect-metadata"; // @peculiar/x509's dependency injection needs it first
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ED25519 = { name: "Ed25519" };
/** PKCS#8 prefix of an Ed25519 private key (RFC 8410): the 32-byte seed follows. */
const ED25519_PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");

const digest = (value: string) => createHash("sha256").update(value).digest();

/** The key pair in a private key PEM, as Web Crypto keys. */
async function keysOf(privateKeyPem: string): Promise<webcrypto.CryptoKeyPair> {
  const key = createPrivateKey(privateKeyPem);
  if (key.asymmetricKeyType !== "ed25519")
    throw new Error(`the mock tls provider signs with Ed25519 keys only, got ${key.asymmetricKeyType}`);
  const [privateKey, publicKey] = await Promise.all([
    webcrypto.subtle.importKey("pkcs8", key.export({ format: "der", type: "pkcs8" }), ED25519, true, ["sign"]),
    webcrypto.subtle.importKey("spki", createPublicKey(key).export({ format: "der", type: "spki" }), ED25519, true, ["verify"]),
  ]);
  return { privateKey, publicKey };
}

interface Subject {
  readonly commonName?: string;
  readonly organization?: string;
}
const distinguishedName = (subject: Subject | undefined) =>
  [subject?.commonName && `CN=${subject.commonName}`, subject?.organization && `O=${subject.organization}`].filter(Boolean).join(", ");

/** The provider's allowed_uses as key usage bits and extended key usages. */
const KEY_USAGES: Record<string, x509.KeyUsageFlags> = {
  digital_signature: x509.KeyUsageFlags.digitalSignature,
  key_encipherment: x509.KeyUsageFlags.keyEncipherment,
  cert_signing: x509.KeyUsageFlags.keyCertSign,
  crl_signing: x509.KeyUsageFlags.cRLSign,
};
const EXTENDED_KEY_USAGES: Record<string, string> = {
  server_auth: x509.ExtendedKeyUsage.serverAuth,
  client_auth: x509.ExtendedKeyUsage.clientAuth,
};

function usageExtensions(uses: readonly string[]): x509.Extension[] {
  const unknown = uses.filter((use) => KEY_USAGES[use] === undefined && EXTENDED_KEY_USAGES[use] === undefined);
  if (unknown.length > 0) throw new Error(`the mock tls provider does not know allowed_uses ${unknown.join(", ")}`);
  const bits = uses.reduce((acc, use) => acc | (KEY_USAGES[use] ?? 0), 0);
  const extended = uses.flatMap((use) => EXTENDED_KEY_USAGES[use] ?? []);
  return [new x509.KeyUsagesExtension(bits, true), ...(extended.length > 0 ? [new x509.ExtendedKeyUsageExtension(extended)] : [])];
}

const subjectAltNames = (dnsNames: readonly string[] = [], ipAddresses: readonly string[] = []) =>
  new x509.SubjectAlternativeNameExtension([
    ...dnsNames.map((value) => ({ type: "dns" as const, value })),
    ...ipAddresses.map((value) => ({ type: "ip" as const, value })),
  ]);

/** A positive serial number from the resource's name. */
const serialOf = (name: string) =>
  (digest(`serial:${name}`)[0] & 0x7f).toString(16).padStart(2, "0") + digest(`serial:${name}`).subarray(1, 16).toString("hex");

const validity = (validFrom: Date, hours: number) => ({
  notBefore: validFrom,
  notAfter: new Date(validFrom.getTime() + hours * 3_600_000),
});

// biome-ignore lint/suspicious/noExplicitAny: a mock provider receives any resource type's inputs (pulumi.runtime.MockResourceArgs.inputs is any)
type Inputs = any;

/**
 * The state the tls provider computes for one of its resources, secrets not yet marked (the caller
 * wraps the `secret` keys). `validFrom` stands for the time of `pulumi up`.
 */
export async function tlsState(
  type: string,
  name: string,
  inputs: Inputs,
  validFrom: Date,
): Promise<{ state: Record<string, unknown>; secret: string[] }> {
  switch (type) {
    case "tls:index/privateKey:PrivateKey": {
      if (inputs.algorithm !== "ED25519") throw new Error(`the mock tls provider generates ED25519 keys only, got ${inputs.algorithm}`);
      const key = createPrivateKey({ key: Buffer.concat([ED25519_PKCS8_PREFIX, digest(`key:${name}`)]), format: "der", type: "pkcs8" });
      const privateKeyPem = key.export({ format: "pem", type: "pkcs8" }).toString();
      const publicKeyPem = createPublicKey(key).export({ format: "pem", type: "spki" }).toString();
      return {
        state: { ...inputs, privateKeyPem, privateKeyPemPkcs8: privateKeyPem, publicKeyPem },
        secret: ["privateKeyPem", "privateKeyPemPkcs8"],
      };
    }
    case "tls:index/selfSignedCert:SelfSignedCert": {
      const keys = await keysOf(inputs.privateKeyPem);
      const cert = await x509.X509CertificateGenerator.createSelfSigned({
        serialNumber: serialOf(name),
        name: distinguishedName(inputs.subject),
        ...validity(validFrom, inputs.validityPeriodHours),
        keys,
        signingAlgorithm: ED25519,
        extensions: [
          new x509.BasicConstraintsExtension(Boolean(inputs.isCaCertificate), undefined, true),
          ...usageExtensions(inputs.allowedUses ?? []),
          await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
          ...(inputs.dnsNames || inputs.ipAddresses ? [subjectAltNames(inputs.dnsNames, inputs.ipAddresses)] : []),
        ],
      });
      return { state: { ...inputs, certPem: `${cert.toString("pem")}\n` }, secret: ["privateKeyPem"] };
    }
    case "tls:index/certRequest:CertRequest": {
      const request = await x509.Pkcs10CertificateRequestGenerator.create({
        name: distinguishedName(inputs.subject),
        keys: await keysOf(inputs.privateKeyPem),
        signingAlgorithm: ED25519,
        extensions: inputs.dnsNames || inputs.ipAddresses ? [subjectAltNames(inputs.dnsNames, inputs.ipAddresses)] : [],
      });
      return { state: { ...inputs, certRequestPem: `${request.toString("pem")}\n` }, secret: ["privateKeyPem"] };
    }
    case "tls:index/locallySignedCert:LocallySignedCert": {
      const request = new x509.Pkcs10CertificateRequest(inputs.certRequestPem);
      const ca = new x509.X509Certificate(inputs.caCertPem);
      const caKeys = await keysOf(inputs.caPrivateKeyPem);
      const publicKey = await request.publicKey.export(ED25519, ["verify"]);
      const san = request.getExtension("2.5.29.17"); // subjectAltName, copied from the request as the provider does
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serialOf(name),
        subject: request.subject,
        issuer: ca.subject,
        ...validity(validFrom, inputs.validityPeriodHours),
        publicKey,
        signingKey: caKeys.privateKey,
        signingAlgorithm: ED25519,
        extensions: [
          new x509.BasicConstraintsExtension(Boolean(inputs.isCaCertificate), undefined, true),
          ...usageExtensions(inputs.allowedUses ?? []),
          await x509.SubjectKeyIdentifierExtension.create(publicKey),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
          ...(san ? [san] : []),
        ],
      });
      return { state: { ...inputs, certPem: `${cert.toString("pem")}\n` }, secret: ["caPrivateKeyPem"] };
    }
    default:
      throw new Error(`the mock tls provider has no ${type}`);
  }
}
