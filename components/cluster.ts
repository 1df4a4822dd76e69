// The `cluster` config section: the cluster's DNS domain, networks and API server. NO_PROXY keeps
// them out of the proxy; HDFS addresses its NameNode by the domain.
import { z } from "zod";
import { cidr, host, hostAndPort, isHost } from "./validators";

export const clusterSchema = z.strictObject({
  /** Cluster DNS domain. @default "cluster.local" */
  domain: z.string().refine(isHost, { error: "expected a DNS domain (e.g. cluster.local)" }).default("cluster.local"),
  /** Pod network. @default "10.244.0.0/16" */
  podCidr: cidr().default("10.244.0.0/16"),
  /** Service network. @default "10.96.0.0/12" */
  serviceCidr: cidr().default("10.96.0.0/12"),
  /** The API server as nodes reach it (host or host:port); kept out of the proxy. */
  apiServer: z.union([hostAndPort(), host()], { error: "expected host or host:port of the API server" }).optional(),
});

export type ClusterConfig = z.output<typeof clusterSchema>;
