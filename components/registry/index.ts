// Placeholder with the contract's shape; the registry owner replaces the body.
import * as pulumi from "@pulumi/pulumi";
import type { ProxyConfig, StackConfig } from "../config";
import type { RegistryRef } from "../refs";

export interface PrivateRegistryArgs {
  /** The validated `registry` section (defaults already applied by the schema). */
  readonly config: StackConfig["registry"];
  /** Corporate proxy, for the Docker Hub pull-through cache. */
  readonly proxy?: ProxyConfig;
  readonly proxyCredentials?: pulumi.Input<{ username: string; password: string }>;
  /** Registry password; generated when absent. */
  readonly password?: pulumi.Input<string>;
}

export class PrivateRegistry extends pulumi.ComponentResource {
  public readonly ref: RegistryRef;
  public readonly namespace: pulumi.Output<string>;
  public readonly uiUrl: pulumi.Output<string>;

  constructor(name: string, args: PrivateRegistryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:registry:PrivateRegistry", name, {}, opts);
    void args;
    this.ref = { endpoint: pulumi.output("registry.invalid:6001"), credentials: pulumi.secret({ username: "", password: "" }), insecure: true };
    this.namespace = pulumi.output("registry");
    this.uiUrl = pulumi.output("");
    this.registerOutputs({ endpoint: this.ref.endpoint, namespace: this.namespace, uiUrl: this.uiUrl });
  }
}
