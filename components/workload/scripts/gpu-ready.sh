#!/bin/sh
# Waits until every GPU node reports allocatable nvidia.com/gpu (the device plugin registered its
# GPUs there), and fails after TIMEOUT_SECONDS naming the nodes that still report none. Run by the
# GPU readiness Job, which Pulumi waits for (docs/ARCHITECTURE.md, "Order of resources").
# Environment: GPU_NODES (node names, space-separated; empty: every node labelled GPU_NODE_SELECTOR,
# at least one), GPU_NODE_SELECTOR, TIMEOUT_SECONDS.
set -eu

: "${GPU_NODE_SELECTOR:?is not set}"
: "${TIMEOUT_SECONDS:?is not set}"
GPU_NODES=${GPU_NODES-}

# The node's allocatable GPUs in $allocatable; empty when it is not listed. Shell built-ins only:
# the kubectl image is not sure to have awk.
gpus_of() {
  printf '%s\n' "$allocatable" | while read -r name count; do
    if [ "$name" = "$1" ]; then printf '%s' "$count"; fi
  done
}

deadline=$(($(date +%s) + TIMEOUT_SECONDS))
while :; do
  # One line per node, "<name> <allocatable GPUs>"; a node that does not exist is missing from it.
  if [ -n "$GPU_NODES" ]; then
    # shellcheck disable=SC2086 # one argument per node name
    allocatable=$(kubectl get nodes $GPU_NODES -o 'jsonpath={range .items[*]}{.metadata.name} {.status.allocatable.nvidia\.com/gpu}{"\n"}{end}') || :
    expected=$GPU_NODES
  else
    allocatable=$(kubectl get nodes --selector "$GPU_NODE_SELECTOR" -o 'jsonpath={range .items[*]}{.metadata.name} {.status.allocatable.nvidia\.com/gpu}{"\n"}{end}') || :
    expected=$(printf '%s\n' "$allocatable" | while read -r name _; do
      if [ -n "$name" ]; then printf '%s ' "$name"; fi
    done)
  fi
  missing=
  for node in $expected; do
    case "$(gpus_of "$node")" in
      '' | *[!0-9]* | 0) missing="$missing $node" ;;
    esac
  done
  if [ -n "$expected" ] && [ -z "$missing" ]; then
    echo "gpu-ready: every GPU node reports allocatable nvidia.com/gpu:"
    printf '%s\n' "$allocatable"
    exit 0
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    if [ -n "$expected" ]; then
      message="GPU nodes without allocatable nvidia.com/gpu after ${TIMEOUT_SECONDS}s:$missing (is the NVIDIA device plugin running there, and the node's runtime nvidia?)"
    else
      message="no node labelled $GPU_NODE_SELECTOR after ${TIMEOUT_SECONDS}s"
    fi
    echo "gpu-ready: $message" >&2
    # Kubernetes shows it in the pod's status, where `kubectl describe` and Pulumi find it.
    printf '%s\n' "$message" >/dev/termination-log 2>/dev/null || :
    exit 1
  fi
  sleep 5
done
