// What `npm run diff` compares: every resource the program registered (URN, parent, inputs, the
// options the engine acts on) and every file the components publish, secrets replaced by markers
// that tell a changed secret from an unchanged one without holding either value. `npm run render`
// writes it as out/<stack>/manifest.json.
import { fingerprinted, type RecordedOptions, type RecordedResource, secretMarker } from "./mock-runtime";

export const MANIFEST_FILE = "manifest.json";
const MANIFEST_VERSION = 2;

export interface ManifestResource {
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  /** URN of the parent; undefined for the stack itself. */
  readonly parent?: string;
  readonly custom: boolean;
  /** Inputs as the provider receives them, each secret value a "[secret:<digest>]" marker. */
  readonly inputs: unknown;
  readonly options: RecordedOptions;
  /** URNs this resource had under its earlier names (`aliases`): the engine matches them, no replace. */
  readonly aliases: string[];
}

export interface Manifest {
  readonly version: number;
  readonly stack: string;
  /** Per secret config key: its marker, which changes when its `secure:` ciphertext does. */
  readonly secrets: Record<string, string>;
  readonly resources: ManifestResource[];
  /** Per component URN: the files it places on nodes or in containers, path → content, secrets marked. */
  readonly files: Record<string, Record<string, string>>;
}

const aliasUrn = (urn: string, name: string) => `${urn.slice(0, urn.lastIndexOf("::") + 2)}${name}`;

/**
 * The manifest of one render, as the text of manifest.json. `placeholders`: what the program got
 * for each undecrypted secret (named after its ciphertext, tools/render.ts).
 */
export function renderManifest(
  stack: string,
  placeholders: Readonly<Record<string, string>>,
  resources: readonly RecordedResource[],
  outputs: ReadonlyMap<string, unknown>,
): string {
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    stack,
    secrets: Object.fromEntries(Object.entries(placeholders).map(([key, placeholder]) => [key, secretMarker(JSON.stringify(placeholder))])),
    resources: resources.map((r) => ({
      urn: r.urn,
      type: r.type,
      name: r.name,
      parent: r.parent,
      custom: r.custom,
      inputs: fingerprinted(r.wire),
      options: r.options,
      aliases: r.aliasNames.map((name) => aliasUrn(r.urn, name)),
    })),
    files: Object.fromEntries(
      resources
        .filter((r) => !r.custom)
        .flatMap((r) => {
          const files = fingerprinted(outputs.get(r.urn) ?? {}).files as Record<string, string> | undefined;
          return files ? [[r.urn, files]] : [];
        }),
    ),
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Reads a manifest, or says what is wrong with it in one line. */
export function parseManifest(text: string, source: string): Manifest {
  const manifest = JSON.parse(text) as Manifest;
  if (manifest.version !== MANIFEST_VERSION) {
    throw new Error(`${source}: manifest version ${String(manifest.version)}, expected ${MANIFEST_VERSION}: render it again`);
  }
  return manifest;
}
