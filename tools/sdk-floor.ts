// `npm run bench`'s second floor: node loading the Pulumi SDKs and registering as many resources as a
// render declares, each a small static ConfigMap under one component, under the mock runtime with the
// render's settings. What the SDK alone costs per resource, below which no change to the program can go.
// It takes the number of resources to register; `npm run bench` runs it compiled, with the render's node flags.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { type MockRuntime, startMockRuntime, withoutStackTraces } from "./mock-runtime";

/** Registers `count` ConfigMaps under one component and waits for the SDK to finish with them. */
export async function registerConfigMaps(count: number): Promise<MockRuntime> {
  const runtime = startMockRuntime({ stack: "sdk-floor" });
  await withoutStackTraces(async () => {
    const parent = new pulumi.ComponentResource("spark-gpu-stack:bench:SdkFloor", "sdk-floor");
    for (let i = 0; i < count; i++) {
      const name = `config-${i}`;
      new k8s.core.v1.ConfigMap(
        name,
        { metadata: { name, namespace: "bench", labels: { "app.kubernetes.io/part-of": "spark-gpu-stack" } }, data: { index: String(i) } },
        { parent },
      );
    }
    await runtime.settle();
  });
  return runtime;
}

if (require.main === module) {
  const count = Number(process.argv[2]);
  if (!Number.isInteger(count) || count < 1) {
    console.error("usage: node bin/tools/sdk-floor.js <resources>");
    process.exit(2);
  }
  void registerConfigMaps(count).then(() => process.exit(0));
}
