// The image's pure renderers on their own: versions read from base tags, build args, proxy URLs.
import { describe, expect, it } from "vitest";
import { imageName, renderBuildArgs, renderBuildProxy } from "../../components/image/render";
import { imageSchema } from "../../components/image/schema";
import { compareVersions, isDigestReference, pytorchImageFacts, sparkImageFacts, withoutDigest } from "../../components/image/tags";

const DIGEST = `sha256:${"0f".repeat(32)}`;

describe("base image facts", () => {
  it("reads Spark, Scala and Java versions from official Spark tags, with or without a digest or mirror", () => {
    expect(sparkImageFacts("apache/spark:4.0.1-scala2.13-java17-ubuntu")).toEqual({
      sparkVersion: "4.0.1",
      scalaVersion: "2.13",
      javaVersion: "17",
    });
    expect(sparkImageFacts(`mirror.example.com:5000/apache/spark:4.0.1-scala2.13-java21-python3-ubuntu@${DIGEST}`)).toEqual({
      sparkVersion: "4.0.1",
      scalaVersion: "2.13",
      javaVersion: "21",
    });
    expect(sparkImageFacts("apache/spark:4.0.1")).toBeUndefined();
    expect(sparkImageFacts("apache/spark")).toBeUndefined();
  });

  it("reads torch and CUDA versions from runtime tags only", () => {
    expect(pytorchImageFacts("pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime")).toEqual({ torchVersion: "2.9.1", cudaVersion: "12.8" });
    expect(pytorchImageFacts("pytorch/pytorch:2.9.1-cuda12.8-cudnn9-devel")).toBeUndefined();
  });

  it("compares versions numerically", () => {
    expect(compareVersions("2.10.0", "2.9.1")).toBeGreaterThan(0);
    expect(compareVersions("3.11", "3.12")).toBeLessThan(0);
    expect(compareVersions("4.0.0", "4.0")).toBe(0);
  });
});

describe("references", () => {
  it("tells digest-pinned references and strips the digest for people", () => {
    expect(isDigestReference(`192.0.2.21:6001/spark-pytorch@${DIGEST}`)).toBe(true);
    expect(isDigestReference(`192.0.2.21:6001/spark-pytorch:v1@${DIGEST}`)).toBe(true);
    expect(isDigestReference("192.0.2.21:6001/spark-pytorch:v1")).toBe(false);
    expect(isDigestReference(`192.0.2.21:6001/spark-pytorch@sha256:abc`)).toBe(false);
    expect(withoutDigest(`192.0.2.21:6001/spark-pytorch:v1@${DIGEST}`)).toBe("192.0.2.21:6001/spark-pytorch:v1");
    expect(imageName("192.0.2.21:6001", "spark-pytorch", "v1")).toBe("192.0.2.21:6001/spark-pytorch:v1");
  });
});

describe("build args", () => {
  const defaults = imageSchema.parse({});

  it("carries the bases, the versions they imply and the interpreter; no proxy arg without a proxy", () => {
    expect(renderBuildArgs(defaults)).toEqual({
      SPARK_IMAGE: "apache/spark:4.0.1-scala2.13-java17-ubuntu",
      PYTORCH_IMAGE: "pytorch/pytorch:2.9.1-cuda12.8-cudnn9-runtime",
      SPARK_VERSION: "4.0.1",
      JAVA_VERSION: "17",
      TORCH_VERSION: "2.9.1",
      PYTHON: "/opt/conda/bin/python",
      PYTHON_VERSION: "3.11",
      BUILDKIT_INLINE_CACHE: "1",
    });
  });

  it("puts the proxy with percent-encoded credentials into both spellings of the predefined proxy args", () => {
    const credentials = { username: "corp\\jdoe", password: "p@ss:w/rd%" };
    const proxy = renderBuildProxy({ http: "http://proxy.example.com:8080", noProxy: [".example.com", "localhost"] }, credentials);
    expect(proxy).toEqual({
      http: "http://corp%5Cjdoe:p%40ss%3Aw%2Frd%25@proxy.example.com:8080",
      https: "http://corp%5Cjdoe:p%40ss%3Aw%2Frd%25@proxy.example.com:8080",
      noProxy: ["localhost", "127.0.0.1", ".example.com"],
    });
    // What a client decodes from the URL is the password as configured.
    const url = new URL(proxy.http);
    expect([decodeURIComponent(url.username), decodeURIComponent(url.password)]).toEqual([credentials.username, credentials.password]);

    const args = renderBuildArgs(defaults, proxy);
    for (const name of ["HTTP_PROXY", "http_proxy"]) expect(args[name]).toBe(proxy.http);
    for (const name of ["HTTPS_PROXY", "https_proxy"]) expect(args[name]).toBe(proxy.https);
    for (const name of ["NO_PROXY", "no_proxy"]) expect(args[name]).toBe("localhost,127.0.0.1,.example.com");
  });

  it("keeps a separate HTTPS proxy and a proxy without credentials as configured", () => {
    expect(renderBuildProxy({ http: "http://proxy.example.com:8080", https: "https://secure.example.com:8443/", noProxy: [] })).toEqual({
      http: "http://proxy.example.com:8080",
      https: "https://secure.example.com:8443/",
      noProxy: ["localhost", "127.0.0.1"],
    });
  });
});
