// SparkImage under the recording mock runtime: what the docker.Image receives (context, Dockerfile,
// platform, cache, registry and its secret credentials, proxy args as secrets) and the digest-pinned
// reference it hands to consumers, built or prebuilt.
import type * as Pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import type * as ImageComponent from "../../components/image";
import { containsSecret, isSecret, masked, plain, resolve, startMockRuntime } from "../../tools/mock-runtime";
import { acceptedConfig } from "../harness/config";

// The mock runtime must be in place before the SDK registers anything: import after starting it.
const rt = startMockRuntime();
let pulumi: typeof Pulumi;
let SparkImage: typeof ImageComponent.SparkImage;
beforeAll(async () => {
  pulumi = await import("@pulumi/pulumi");
  ({ SparkImage } = await import("../../components/image/index.js"));
});

const ENDPOINT = "192.0.2.21:6001";
const REGISTRY_PASSWORD = "registry-pw-0123456789";
const PROXY_PASSWORD = "proxy-pw-0123456789";

const sections = acceptedConfig;

/** The registry's read-only process, where consumers pull the pushed image from. */
const PULL_ENDPOINT = "192.0.2.21:6003";
const registry = () => ({
  address: PULL_ENDPOINT,
  endpoint: pulumi.output(PULL_ENDPOINT),
  credentials: pulumi.secret({ username: "pull", password: "pull-pw-never-used-by-the-build" }),
  pushAddress: ENDPOINT,
  pushEndpoint: pulumi.output(ENDPOINT),
  pushCredentials: pulumi.secret({ username: "admin", password: REGISTRY_PASSWORD }),
});

describe("SparkImage", () => {
  it("builds images/spark-pytorch for linux/amd64 with BuildKit, caching from and pushing to the registry's read-write process with the push account", async () => {
    const config = sections({ proxy: { http: "http://proxy.example.com:8080", noProxy: [".example.com"] } }, [
      "proxyUsername",
      "proxyPassword",
    ]);
    const image = new SparkImage("built", {
      config: config.image,
      registry: registry(),
      proxy: config.proxy,
      proxyCredentials: pulumi.secret({ username: "jdoe", password: PROXY_PASSWORD }),
    });
    await rt.settle();
    const recorded = rt.one("docker:index/image:Image", "built");
    expect(recorded.parent).toMatch(/spark-gpu-stack:image:SparkImage::built$/);
    const wire = recorded.wire as any;
    const inputs = plain(wire);
    const pushed = `${ENDPOINT}/spark-pytorch:spark4.0.1-torch2.9.1-cuda12.8`;
    expect(inputs.imageName).toBe(pushed);
    expect(inputs.build).toMatchObject({
      context: "images/spark-pytorch",
      dockerfile: "images/spark-pytorch/Dockerfile",
      platform: "linux/amd64",
      builderVersion: "BuilderBuildKit",
      cacheFrom: { images: [pushed] },
    });
    expect(inputs.build.args).toMatchObject({
      SPARK_IMAGE: config.image.sparkImage,
      PYTORCH_IMAGE: config.image.pytorchImage,
      BUILDKIT_INLINE_CACHE: "1",
    });
    expect(inputs.build.args.HTTP_PROXY).toBe(`http://jdoe:${PROXY_PASSWORD}@proxy.example.com:8080`);
    expect(inputs.build.args.no_proxy).toBe("localhost,127.0.0.1,.example.com");
    expect(inputs.registry).toEqual({ server: ENDPOINT, username: "admin", password: REGISTRY_PASSWORD });

    // Credentials travel as secrets: what people see of these inputs holds neither password.
    expect(isSecret(wire.registry.password)).toBe(true);
    expect(containsSecret(wire.build)).toBe(true);
    const shown = JSON.stringify(masked(wire));
    expect(shown).not.toContain(REGISTRY_PASSWORD);
    expect(shown).not.toContain(PROXY_PASSWORD);

    // Consumers get the pushed digest, not the tag, from the read-only process; it is no secret.
    const ref = await resolve(image.ref.imageRef);
    expect(ref.value).toMatch(new RegExp(`^${PULL_ENDPOINT}/spark-pytorch@sha256:[0-9a-f]{64}$`));
    expect(ref.secret).toBe(false);
    expect((await resolve(image.ref.imageName)).value).toBe(`${PULL_ENDPOINT}/spark-pytorch:spark4.0.1-torch2.9.1-cuda12.8`);
    expect([image.ref.sparkVersion, image.ref.pythonVersion]).toEqual(["4.0.1", "3.11"]);
  });

  it("passes no proxy arg and keeps the build args in the clear without a proxy", async () => {
    const config = sections({ image: { repository: "ml/spark", tag: "v3" } });
    new SparkImage("direct", { config: config.image, registry: registry() });
    await rt.settle();
    const wire = rt.one("docker:index/image:Image", "direct").wire as any;
    expect(containsSecret(wire.build)).toBe(false);
    expect(Object.keys(plain(wire).build.args).filter((k) => /proxy/i.test(k))).toEqual([]);
    expect(plain(wire).imageName).toBe(`${ENDPOINT}/ml/spark:v3`);
  });

  it("builds a new digest when the build changes, so consumers roll", async () => {
    const base = sections({}).image;
    const a = new SparkImage("digest-a", { config: base, registry: registry() });
    const b = new SparkImage("digest-b", { config: sections({ image: { pythonVersion: "3.10" } }).image, registry: registry() });
    const [ra, rb] = [await resolve(a.ref.imageRef), await resolve(b.ref.imageRef)];
    expect(ra.value).not.toBe(rb.value);
  });

  it("declares no build for a prebuilt image and hands out the same typed, digest-pinned reference", async () => {
    const prebuilt = `registry.example.com/ml/spark-pytorch:2026-11@sha256:${"c3".repeat(32)}`;
    const image = new SparkImage("prebuilt", { config: sections({ image: { prebuilt } }).image, registry: registry() });
    await rt.settle();
    expect(rt.ofType("docker:index/image:Image", "prebuilt")).toEqual([]);
    expect((await resolve(image.ref.imageRef)).value).toBe(prebuilt);
    expect((await resolve(image.ref.imageName)).value).toBe("registry.example.com/ml/spark-pytorch:2026-11");
    expect([image.ref.sparkVersion, image.ref.pythonVersion]).toEqual(["4.0.1", "3.11"]);
  });
});
