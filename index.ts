// Composition root: load config -> build components -> export outputs. Nothing else lives here.
import { loadConfig } from "./components/config";
import { PrivateRegistry } from "./components/registry";
import { registryAddress } from "./components/registry/render";
import { declareRegistryTls } from "./components/registry/tls";
import { SparkImage } from "./components/image";
import { NodeRuntimeConfig } from "./components/nodes";
import { SparkWorkload } from "./components/workload";
import { GpuSupport } from "./components/workload/gpu";
import { HdfsCluster } from "./components/hdfs";
import { ClaimStorage } from "./components/storage";
import { planStorage, volumeDirectories } from "./components/storage/render";
import { hostNetworks } from "./components/ipv4";

const { config, secrets } = loadConfig();
// Which claims get local volumes, on which nodes: the nodes' scripts make their directories.
const storagePlan = planStorage(config);

// The registry's CA waits for nothing in the cluster: the nodes trust it before anything runs there.
const registryTls = declareRegistryTls("registry-tls", config.registry, secrets.registryTls);

// Nodes first, from the registry's address alone: behind the proxy, every image the cluster pulls
// (the registry's own included) needs them configured. Pods wait for them; nothing else does.
const nodes = new NodeRuntimeConfig("nodes", {
  config: config.nodes,
  cluster: config.cluster,
  proxy: config.proxy,
  proxyCredentials: secrets.proxyCredentials,
  dns: config.dns,
  registry: registryAddress(config.registry, registryTls),
  sshPrivateKey: secrets.sshPrivateKey,
  volumeDirectories: volumeDirectories(storagePlan),
});

const storage = new ClaimStorage("storage", { plan: storagePlan });

const registry = new PrivateRegistry("registry", {
  config: config.registry,
  proxy: config.proxy,
  proxyCredentials: secrets.proxyCredentials,
  password: secrets.registryPassword,
  nodes: nodes.ref,
  podCidr: config.cluster.podCidr,
  nodeNetworks: hostNetworks(
    config.nodes.subnet,
    config.nodes.hosts.map((host) => host.address),
  ),
  storage: storage.ref,
  tls: registryTls,
});

const image = new SparkImage("spark-image", {
  config: config.image,
  registry: registry.ref,
  proxy: config.proxy,
  proxyCredentials: secrets.proxyCredentials,
});

const hdfs = config.hdfs.enabled
  ? new HdfsCluster("hdfs", {
      config: config.hdfs,
      cluster: config.cluster,
      nodes: nodes.ref,
      storage: storage.ref,
      placement: storagePlan.local?.hdfs,
      clientNamespaces: [config.spark.namespace],
    })
  : undefined;

// The NVIDIA device plugin (and RuntimeClass) when GPUs are on; applications wait until every GPU node offers its GPUs.
const gpu = config.gpu.enabled
  ? new GpuSupport("gpu", {
      config: config.gpu,
      nodes: nodes.ref,
      gpuNodes: config.nodes.hosts.filter((host) => host.gpu).map((host) => host.name),
    })
  : undefined;

const workload = new SparkWorkload("spark", {
  config: config.spark,
  gpu: gpu?.ref,
  cluster: config.cluster,
  proxy: config.proxy,
  proxyCredentials: secrets.proxyCredentials,
  image: image.ref,
  registry: registry.ref,
  nodes: nodes.ref,
  nodeNetwork: config.nodes,
  hdfs: hdfs?.ref,
});

export const registryEndpoint = registry.ref.endpoint;
export const registryCredentials = registry.ref.credentials;
export const registryPushEndpoint = registry.ref.pushEndpoint;
export const registryPushCredentials = registry.ref.pushCredentials;
export const registryNamespace = registry.namespace;
export const registryUiUrl = registry.uiUrl;
export const registryMirrorEndpoint = registry.mirrorEndpoint;
export const registryCaCertificate = registry.ref.caCertificate;
export const imageRef = image.ref.imageRef;
export const nodesReady = nodes.ref.ready;
export const nodesApplied = nodes.applied;
export const sparkNamespace = workload.namespace;
export const sparkServiceAccount = workload.serviceAccount;
export const sparkApplications = workload.applications;
export const sparkSmokeJob = workload.smokeJob;
export const hdfsDefaultFs = hdfs?.ref.defaultFs;
export const hdfsWebUiUrl = hdfs?.webUiUrl;
