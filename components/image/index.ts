// The Spark + PyTorch image: built from images/spark-pytorch and pushed to the private registry,
// or taken as configured when prebuilt. Consumers get the digest-pinned reference, so a new build
// rolls the jobs and an unchanged one touches nothing.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import type { ProxyConfig, ProxyCredentials } from "../proxy";
import type { RegistryRef, SparkImageRef } from "../refs";
import {
  BUILD_CONTEXT,
  DOCKERFILE,
  PLATFORM,
  imageName,
  pullReference,
  renderBuildArgs,
  renderBuildProxy,
  type BuildProxy,
} from "./render";
import type { ImageConfig } from "./schema";
import { baseImageFacts, withoutDigest } from "./tags";

export interface SparkImageArgs {
  /** The validated `image` section (defaults already applied by the schema). */
  readonly config: ImageConfig;
  /** Where the image is pushed, with the credentials the push uses. */
  readonly registry: RegistryRef;
  /** Corporate proxy for the build's RUN steps; reaches the build only as predefined build args. */
  readonly proxy?: ProxyConfig;
  /** Secret proxy credentials, put into the proxy URLs of those build args. */
  readonly proxyCredentials?: pulumi.Input<ProxyCredentials>;
}

export class SparkImage extends pulumi.ComponentResource {
  public readonly ref: SparkImageRef;

  constructor(name: string, args: SparkImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:image:SparkImage", name, {}, opts);
    const { config, registry } = args;
    const versions = {
      sparkVersion: baseImageFacts(config).spark.sparkVersion,
      pythonVersion: config.pythonVersion,
    };

    if (config.prebuilt !== undefined) {
      this.ref = { imageRef: pulumi.output(config.prebuilt), imageName: pulumi.output(withoutDigest(config.prebuilt)), ...versions };
    } else {
      const pushedName = registry.pushEndpoint.apply((endpoint) => imageName(endpoint, config.repository, config.tag));
      const image = new docker.Image(
        name,
        {
          imageName: pushedName,
          build: {
            context: BUILD_CONTEXT,
            dockerfile: DOCKERFILE,
            platform: PLATFORM,
            builderVersion: "BuilderBuildKit",
            args: buildProxy(args).apply((proxy) => renderBuildArgs(config, proxy)),
            // The previous push of this tag carries inline cache metadata (BUILDKIT_INLINE_CACHE). It is
            // read from the read-write process, where only the push account (this build) writes.
            cacheFrom: { images: [pushedName] },
          },
          registry: {
            server: registry.pushEndpoint,
            username: registry.pushCredentials.apply((c) => c.username),
            password: registry.pushCredentials.apply((c) => c.password),
          },
        },
        { parent: this },
      );
      // Nodes and pods pull from the read-only process: the same storage under its address.
      const pulled = (pushed: pulumi.Output<string>) =>
        pulumi.all([pushed, registry.pushEndpoint, registry.endpoint]).apply(([ref, push, pull]) => pullReference(ref, push, pull));
      this.ref = { imageRef: pulled(image.repoDigest), imageName: pulled(image.imageName), ...versions };
    }
    this.registerOutputs({ imageRef: this.ref.imageRef, imageName: this.ref.imageName });
  }
}

/** The build's proxy, secret when it carries credentials; undefined without a proxy. */
function buildProxy(args: SparkImageArgs): pulumi.Output<BuildProxy | undefined> {
  const proxy = args.proxy;
  if (proxy === undefined) return pulumi.output(undefined);
  return pulumi.output(args.proxyCredentials).apply((credentials) => renderBuildProxy(proxy, credentials));
}
