// The registry's claims as storage sees them: what the local volumes of components/storage must
// match (name, namespace, size) and who writes to them.
import type { PodUser } from "../k8s-common";
import { REGISTRY_USER, SERVER_NAMES } from "./render-server";
import type { RegistryConfig } from "./schema";

export interface RegistryClaim {
  readonly namespace: string;
  readonly name: string;
  readonly size: string;
  readonly owner: PodUser;
}

/** The registry's data claim, and the cache's when the mirror is on. */
export function registryClaims(config: RegistryConfig): RegistryClaim[] {
  const claim = (server: "registry" | "mirror", size: string) => ({
    namespace: config.namespace,
    name: SERVER_NAMES[server].data,
    size,
    owner: REGISTRY_USER,
  });
  return [claim("registry", config.storage.size), ...(config.mirror.enabled ? [claim("mirror", config.mirror.storage.size)] : [])];
}
