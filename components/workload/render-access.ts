// Who may do what, and how things are reached: the driver's Role, the registry pull secret, the
// driver UI Service. Pure values for the component.
import type { input as Input } from "@pulumi/kubernetes/types";
import type { RegistryCredentials } from "../refs";
import { APP_LABEL, SPARK_ROLE_LABEL } from "./render-pods";

/**
 * What the driver does in its namespace (and spark-submit, for the driver pod it creates): executor
 * pods, the driver's headless Service, conf ConfigMaps and on-demand PVCs. The same rule the Spark
 * operator chart gives its `spark` Role. No Secrets, no other namespace, no wildcard.
 */
export const DRIVER_RULES = [
  {
    apiGroups: [""],
    resources: ["pods", "services", "configmaps", "persistentvolumeclaims"],
    verbs: ["get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"],
  },
] as const;

export function renderRole(name: string, namespace: string) {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1" as const,
    kind: "Role" as const,
    metadata: { name, namespace },
    rules: DRIVER_RULES.map((rule) => ({ apiGroups: [...rule.apiGroups], resources: [...rule.resources], verbs: [...rule.verbs] })),
  } satisfies Input.rbac.v1.Role;
}

export function renderRoleBinding(name: string, namespace: string, serviceAccount: string) {
  return {
    apiVersion: "rbac.authorization.k8s.io/v1" as const,
    kind: "RoleBinding" as const,
    metadata: { name, namespace },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name },
    subjects: [{ kind: "ServiceAccount", name: serviceAccount, namespace }],
  } satisfies Input.rbac.v1.RoleBinding;
}

/** `.dockerconfigjson` of a `kubernetes.io/dockerconfigjson` Secret: one registry, its credentials. */
export function renderDockerConfigJson(endpoint: string, credentials: RegistryCredentials): string {
  const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString("base64");
  return JSON.stringify({ auths: { [endpoint]: { username: credentials.username, password: credentials.password, auth } } });
}

/** Spark's UI port (spark.ui.port's default). */
export const SPARK_UI_PORT = 4040;

/** A stable name for the running driver's UI, in both modes (Spark's own Service names carry a random part). */
export function uiServiceName(appName: string): string {
  return `${appName}-ui`;
}

export function renderUiService(appName: string, namespace: string) {
  return {
    apiVersion: "v1" as const,
    kind: "Service" as const,
    metadata: { name: uiServiceName(appName), namespace, labels: { [APP_LABEL]: appName } },
    spec: {
      type: "ClusterIP",
      selector: { [APP_LABEL]: appName, [SPARK_ROLE_LABEL]: "driver" },
      ports: [{ name: "spark-ui", port: SPARK_UI_PORT, targetPort: SPARK_UI_PORT }],
    },
  } satisfies Input.core.v1.Service;
}
