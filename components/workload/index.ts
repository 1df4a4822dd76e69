// Placeholder with the contract's shape; the workload owner replaces the body.
import * as pulumi from "@pulumi/pulumi";
import type { ClusterConfig, ProxyConfig, StackConfig } from "../config";
import type { HdfsRef, NodesReadyRef, RegistryRef, SparkImageRef } from "../refs";

export interface SparkWorkloadArgs {
  /** The validated `spark` section. */
  readonly config: StackConfig["spark"];
  /** The validated `gpu` section. */
  readonly gpu: StackConfig["gpu"];
  readonly cluster: ClusterConfig;
  readonly proxy?: ProxyConfig;
  readonly proxyCredentials?: pulumi.Input<{ username: string; password: string }>;
  readonly dns: readonly string[];
  readonly image: SparkImageRef;
  readonly registry: RegistryRef;
  readonly nodes: NodesReadyRef;
  readonly hdfs?: HdfsRef;
}

export class SparkWorkload extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;

  constructor(name: string, args: SparkWorkloadArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:workload:SparkWorkload", name, {}, opts);
    void args;
    this.namespace = pulumi.output("spark");
    this.registerOutputs({ namespace: this.namespace });
  }
}
