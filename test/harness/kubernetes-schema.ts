// Validates a Kubernetes object against the OpenAPI schema of its apiVersion/kind, through the
// model classes of `kubernetes-models`. Custom resources have no model there: their tests check
// them against the CRD and register the kind here as validated elsewhere.
import { createRequire } from "node:module";

const requireModel = createRequire(__filename);

export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
}

/** apiVersions of custom resources whose objects are checked against their CRD by their own tests. */
export const CUSTOM_RESOURCE_API_VERSIONS = new Set(["sparkoperator.k8s.io/v1beta2"]);

/** Throws with the schema's own words when the object is not valid for its kind. */
export function validateKubernetesObject(object: KubernetesObject): void {
  if (CUSTOM_RESOURCE_API_VERSIONS.has(object.apiVersion)) return;
  let Model: new (data: unknown) => { validate(): void };
  try {
    Model = requireModel(`kubernetes-models/${object.apiVersion}/${object.kind}`)[object.kind];
  } catch {
    throw new Error(`${object.kind} ${object.metadata?.name}: no schema for apiVersion ${object.apiVersion} kind ${object.kind}`);
  }
  try {
    new Model(object).validate();
  } catch (error) {
    throw new Error(`${object.kind} ${object.metadata?.name}: ${(error as Error).message}`);
  }
}
