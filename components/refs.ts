// The typed values that flow between components (docs/ARCHITECTURE.md, "Typed wiring").
import type * as pulumi from "@pulumi/pulumi";
import type { Toleration } from "./k8s-common";

export interface RegistryCredentials {
  readonly username: string;
  readonly password: string;
}

/**
 * Where the registry listens, known before it runs. Node runtimes are configured from this alone:
 * on a fresh cluster behind the proxy, the registry's own image can only be pulled once they are.
 */
export interface RegistryAddress {
  /** `host:port` of the registry's read-only process: what nodes and pods pull from. */
  readonly address: string;
  /** `host:port` of the read-write process: only the image build pushes there. */
  readonly pushAddress: string;
  /**
   * Secret: PEM of the CA the registry's certificate chains to, which every node trusts. Absent: the
   * registry speaks plain HTTP, and nodes are told to allow it.
   */
  readonly caCertificate?: pulumi.Output<string>;
  /** `host:port` of the Docker Hub pull-through cache, when enabled. */
  readonly mirrorAddress?: string;
}

/** The registry's TLS material (docs/ARCHITECTURE.md, "Registry trust"), every value a Pulumi secret. */
export interface RegistryTls {
  /** PEM of the CA. */
  readonly caCertificate: pulumi.Output<string>;
  /** PEM of the serving certificate, for the registry's host and node (registry and mirror alike). */
  readonly certificate: pulumi.Output<string>;
  /** PEM of the serving certificate's private key. */
  readonly privateKey: pulumi.Output<string>;
}

/** How everything else reaches the private registry. Produced by PrivateRegistry. */
export interface RegistryRef extends RegistryAddress {
  /** `address` once the registry is ready: pods pull from it. */
  readonly endpoint: pulumi.Output<string>;
  /** Secret output: the pull account, refused by the read-write process. */
  readonly credentials: pulumi.Output<RegistryCredentials>;
  /** `pushAddress` once the registry is ready: the image build pushes there. */
  readonly pushEndpoint: pulumi.Output<string>;
  /** Secret output: the push account, known only to the read-write process. */
  readonly pushCredentials: pulumi.Output<RegistryCredentials>;
  /** `mirrorAddress` once the cache is ready. */
  readonly mirrorEndpoint?: pulumi.Output<string>;
}

/** The Spark + PyTorch image, as consumers must use it. Produced by SparkImage. */
export interface SparkImageRef {
  /** Digest-pinned reference `host:port/repo@sha256:…`. */
  readonly imageRef: pulumi.Output<string>;
  /** `host:port/repo:tag`, for people. */
  readonly imageName: pulumi.Output<string>;
  readonly sparkVersion: string;
  readonly pythonVersion: string;
}

/** Node runtimes configured. Produced by NodeRuntimeConfig; the Spark workload waits on `ready`. */
export interface NodesReadyRef {
  /** Resolves once every node has applied its configuration; holds the applied hashes. */
  readonly ready: pulumi.Output<string>;
  /**
   * What pods must `dependsOn` to start after every node is configured: behind the proxy, their
   * images can be pulled only then; GPU pods need the nodes' labels. Each node's NodePatch, which
   * waits for that node's applier.
   */
  readonly configured: readonly pulumi.Resource[];
  /**
   * Each node's NodePatch, by Kubernetes node name: a pod pinned to one node waits for that node
   * only (docs/ARCHITECTURE.md, "Order of resources").
   */
  readonly byNode: Readonly<Record<string, pulumi.Resource>>;
  /** By node name: the tolerations of the taints the stack puts on that node, for the pods it pins there. */
  readonly tolerations: Readonly<Record<string, readonly Toleration[]>>;
}

/** HDFS as Spark jobs address it. Produced by HdfsCluster. */
export interface HdfsRef {
  /** `hdfs://host:8020`. */
  readonly defaultFs: pulumi.Output<string>;
  /** Hadoop settings each writer applies to the files it creates: `dfs.replication`, `dfs.blocksize` (bytes). */
  readonly clientProperties: Readonly<Record<string, string>>;
}

/** Where claims get their volumes. Produced by ClaimStorage. */
export interface StorageRef {
  /** storageClassName of a claim that names none of its own; absent: the cluster's default class. */
  readonly className?: string;
  /** What claims wait for: the local StorageClass and PersistentVolumes (none with a named class). */
  readonly volumes: readonly pulumi.Resource[];
}
