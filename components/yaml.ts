// YAML as the stack writes it: the files programs read (distribution's config.yml, Spark's pod
// templates) and the render's Kubernetes objects.
import { dump } from "js-yaml";

/**
 * One document: no line folding, no anchors, undefined fields left out. Strings a YAML 1.1 reader
 * (Go's yaml.v2, SnakeYAML) would take for booleans, such as `on` or `yes`, stay quoted.
 */
export const toYaml = (value: unknown): string => dump(value, { lineWidth: -1, noRefs: true, skipInvalid: true });
