// The Helm charts the workload installs; their versions are pinned in config. The device plugin's
// namespace is the plugin's own: the config checks keep every other part out of it.

export const DEVICE_PLUGIN_CHART = {
  chart: "nvidia-device-plugin",
  repo: "https://nvidia.github.io/k8s-device-plugin",
  release: "nvidia-device-plugin",
  namespace: "nvidia-device-plugin",
} as const;

export const OPERATOR_CHART = {
  chart: "spark-operator",
  repo: "https://kubeflow.github.io/spark-operator",
  release: "spark-operator",
} as const;
