// Where the stack's claims get their volumes: a named StorageClass (nothing to declare), or the
// local StorageClass and one pre-bound local PersistentVolume per claim. Both outlive the stack:
// `pulumi destroy` leaves them, and the data in their directories, in place.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { StorageRef } from "../refs";
import { renderLocalStorageClass, renderLocalVolume, type StoragePlan } from "./render";

export class ClaimStorage extends pulumi.ComponentResource {
  public readonly ref: StorageRef;

  constructor(name: string, args: { readonly plan: StoragePlan }, opts?: pulumi.ComponentResourceOptions) {
    super("spark-gpu-stack:storage:ClaimStorage", name, {}, opts);
    const { local } = args.plan;
    const volumes: pulumi.Resource[] = [];
    if (local !== undefined) {
      const retained = { parent: this, retainOnDelete: true };
      const storageClass = new k8s.storage.v1.StorageClass(`${name}-local`, renderLocalStorageClass(), retained);
      volumes.push(storageClass);
      for (const claim of local.claims) {
        volumes.push(
          new k8s.core.v1.PersistentVolume(`${name}-${claim.name}`, renderLocalVolume(local.path, claim), {
            ...retained,
            dependsOn: [storageClass],
          }),
        );
      }
    }
    this.ref = { className: args.plan.className, volumes };
    this.registerOutputs({});
  }
}
