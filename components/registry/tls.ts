// The registry's own CA and serving certificate (@pulumi/tls), kept in the Pulumi state as secrets.
// Nothing here touches the cluster: nodes learn the CA before anything runs there
// (docs/ARCHITECTURE.md, "Registry trust").
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import type { RegistryTls } from "../refs";
import {
  CA_USES,
  CA_VALIDITY_HOURS,
  KEY_ALGORITHM,
  ORGANIZATION,
  SERVING_EARLY_RENEWAL_HOURS,
  SERVING_USES,
  SERVING_VALIDITY_HOURS,
  servingNames,
  tlsSource,
} from "./render-tls";
import type { RegistryConfig } from "./schema";

export class RegistryCertificates extends pulumi.ComponentResource {
  public readonly ref: RegistryTls;

  constructor(name: string, args: { readonly config: RegistryConfig }, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:registry:RegistryCertificates", name, {}, opts);
    const parent = { parent: this };
    const { config } = args;
    const caKey = new tls.PrivateKey(`${name}-ca`, { algorithm: KEY_ALGORITHM }, parent);
    const ca = new tls.SelfSignedCert(
      `${name}-ca`,
      {
        privateKeyPem: caKey.privateKeyPem,
        subject: { commonName: `${ORGANIZATION} registry CA`, organization: ORGANIZATION },
        isCaCertificate: true,
        validityPeriodHours: CA_VALIDITY_HOURS,
        allowedUses: CA_USES,
      },
      parent,
    );
    const key = new tls.PrivateKey(`${name}-serving`, { algorithm: KEY_ALGORITHM }, parent);
    const request = new tls.CertRequest(
      `${name}-serving`,
      { privateKeyPem: key.privateKeyPem, subject: { commonName: config.host, organization: ORGANIZATION }, ...servingNames(config) },
      parent,
    );
    const serving = new tls.LocallySignedCert(
      `${name}-serving`,
      {
        certRequestPem: request.certRequestPem,
        caPrivateKeyPem: caKey.privateKeyPem,
        caCertPem: ca.certPem,
        validityPeriodHours: SERVING_VALIDITY_HOURS,
        earlyRenewalHours: SERVING_EARLY_RENEWAL_HOURS,
        allowedUses: SERVING_USES,
      },
      parent,
    );
    this.ref = {
      caCertificate: pulumi.secret(ca.certPem),
      certificate: pulumi.secret(serving.certPem),
      privateKey: pulumi.secret(key.privateKeyPem),
    };
    this.registerOutputs({ caCertificate: this.ref.caCertificate });
  }
}

/** The registry's TLS: the user's own when given, the stack's CA for a host other nodes reach, none otherwise. */
export function declareRegistryTls(name: string, config: RegistryConfig, provided?: RegistryTls): RegistryTls | undefined {
  switch (tlsSource(config, provided !== undefined)) {
    case "provided":
      return provided;
    case "generated":
      return new RegistryCertificates(name, { config }).ref;
    case "none":
      return undefined;
  }
}
