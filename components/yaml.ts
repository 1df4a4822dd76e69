// YAML as the stack writes it (the files programs read, such as distribution's config.yml and Spark's
// pod templates, and the render's Kubernetes objects) and reads it (stack files, the rules' pod templates).
import { CORE_SCHEMA, dump, load } from "js-yaml";

/**
 * One document: no line folding, no anchors, undefined fields left out. Strings a YAML 1.1 reader
 * (Go's yaml.v2, SnakeYAML) would take for booleans, such as `on` or `yes`, stay quoted.
 */
export const toYaml = (value: unknown): string => dump(value, { lineWidth: -1, noRefs: true, skipInvalid: true });

/** One document as YAML 1.2's core schema reads it (as the `yaml` library does): no timestamps, no merge keys. */
export const fromYaml = (text: string): unknown => load(text, { schema: CORE_SCHEMA });
