// Placeholder with the contract's shape; the HDFS owner replaces the body.
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import type { HdfsRef } from "../refs";

export interface HdfsClusterArgs {
  /** The validated `hdfs` section. */
  readonly config: StackConfig["hdfs"];
}

export class HdfsCluster extends pulumi.ComponentResource {
  public readonly ref: HdfsRef;

  constructor(name: string, args: HdfsClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:hdfs:HdfsCluster", name, {}, opts);
    void args;
    this.ref = { defaultFs: pulumi.output("") };
    this.registerOutputs({ defaultFs: this.ref.defaultFs });
  }
}
