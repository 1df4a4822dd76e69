// Placeholder with the contract's shape; the node-runtime owner replaces the body.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig, ProxyConfig, StackConfig } from "../config";
import type { NodesReadyRef, RegistryRef } from "../refs";

export interface NodeRuntimeConfigArgs {
  /** The validated `nodes` section. */
  readonly config: StackConfig["nodes"];
  readonly cluster: ClusterConfig;
  readonly proxy?: ProxyConfig;
  readonly proxyCredentials?: pulumi.Input<{ username: string; password: string }>;
  readonly dns: readonly string[];
  readonly registry: RegistryRef;
  readonly sshPrivateKey?: pulumi.Input<string>;
}

export class NodeRuntimeConfig extends pulumi.ComponentResource {
  public readonly ref: NodesReadyRef;

  constructor(name: string, args: NodeRuntimeConfigArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:nodes:NodeRuntimeConfig", name, {}, opts);
    void args;
    this.ref = { ready: pulumi.output("") };
    this.registerOutputs({ ready: this.ref.ready });
  }
}
