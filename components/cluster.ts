// The `cluster` config section: the cluster's DNS domain, networks and API server. NO_PROXY keeps
// them out of the proxy; HDFS addresses its NameNode by the domain.
import { z } from "zod";
import { isNetworkCidr, overlaps } from "./ipv4";
import { cidr, host, hostAndPort, isHost, NO_PROXY_SHORTEST_PREFIX } from "./validators";

export const clusterSchema = z
  .strictObject({
    /** Cluster DNS domain. @default "cluster.local" */
    domain: z.string().refine(isHost, { error: "expected a DNS domain (e.g. cluster.local)" }).default("cluster.local"),
    /** Pod network. @default "10.244.0.0/16" */
    podCidr: cidr({
      shortest: NO_PROXY_SHORTEST_PREFIX,
      longest: 24,
      why: "NO_PROXY lists it, and kube-controller-manager gives each node a /24 of it by default",
    }).default("10.244.0.0/16"),
    /** Service network. @default "10.96.0.0/12" */
    serviceCidr: cidr({ shortest: 12, longest: 32, why: "kube-apiserver refuses a wider service range" }).default("10.96.0.0/12"),
    /** The API server as nodes reach it (host or host:port); kept out of the proxy. */
    apiServer: z.union([hostAndPort(), host()], { error: "expected host or host:port of the API server" }).optional(),
  })
  .superRefine((cluster, ctx) => {
    // zod runs this after a refinement failed (not after a wrong type): judge only networks that are ones.
    const { podCidr, serviceCidr } = cluster;
    if (isNetworkCidr(podCidr) && isNetworkCidr(serviceCidr) && overlaps(podCidr, serviceCidr)) {
      ctx.addIssue({
        code: "custom",
        path: ["serviceCidr"],
        input: serviceCidr,
        message: `expected a network apart from cluster.podCidr (${podCidr}): a Service address there would also be a pod's`,
      });
    }
  });

export type ClusterConfig = z.output<typeof clusterSchema>;
