// Where the config declares a node's capacity, the pods that can run only on that node fit it: their
// replicas times their requests, plus one pod of every DaemonSet that runs there (docs/ARCHITECTURE.md,
// "Whole-plan rules"). Pods free to run on several nodes are left to the scheduler.
import type { PlanRule, Violation } from "./plan";
import { parseQuantity, showQuantity } from "./quantity";
import { clusterOf, placementOf, podRequests, scheduledPodsOf } from "./scheduling";

export const nodeCapacityRule: PlanRule = {
  name: "node-capacity",
  description: "The requests of the pods pinned to a node whose capacity the config declares fit that capacity.",
  readsFacts: true,
  check(plan, facts = {}) {
    const cluster = clusterOf(plan, facts);
    const pods = scheduledPodsOf(plan).map((pod) => ({ pod, on: placementOf(pod.site.spec, cluster).schedulable }));
    return cluster.nodes.flatMap((node): Violation[] => {
      if (!node.capacity) return [];
      const here = pods.filter(({ pod, on }) => (pod.daemon ? on.includes(node) : on.length === 1 && on[0] === node));
      return Object.entries(node.capacity).flatMap(([resource, declared]) => {
        const capacity = parseQuantity(declared);
        const parts = here.flatMap(({ pod }) => {
          const amount = podRequests(pod.site.spec).get(resource) ?? 0;
          const copies = pod.daemon ? 1 : pod.replicas;
          return amount > 0 ? [{ name: `${pod.site.resource} ${copies} × ${showQuantity(resource, amount)}`, total: copies * amount }] : [];
        });
        const total = parts.reduce((sum, p) => sum + p.total, 0);
        if (capacity === undefined || total <= capacity) return [];
        return [
          {
            resource: `Node/${node.name}`,
            field: `capacity["${resource}"]`,
            message: `the pods that can run only here request ${showQuantity(resource, total)} of ${resource} (${parts.map((p) => p.name).join(", ")}), more than the ${declared} the config declares; raise ${node.configKey}.capacity["${resource}"] if the node has more, or lower the requests`,
          },
        ];
      });
    });
  },
};
