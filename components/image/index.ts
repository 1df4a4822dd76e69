// Placeholder with the contract's shape; the image owner replaces the body.
import * as pulumi from "@pulumi/pulumi";
import type { StackConfig } from "../config";
import type { RegistryRef, SparkImageRef } from "../refs";

export interface SparkImageArgs {
  /** The validated `image` section. */
  readonly config: StackConfig["image"];
  readonly registry: RegistryRef;
}

export class SparkImage extends pulumi.ComponentResource {
  public readonly ref: SparkImageRef;

  constructor(name: string, args: SparkImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:image:SparkImage", name, {}, opts);
    void args;
    this.ref = { imageRef: pulumi.output(""), imageName: pulumi.output(""), sparkVersion: "", pythonVersion: "" };
    this.registerOutputs({ imageRef: this.ref.imageRef });
  }
}
