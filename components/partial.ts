// Config sections parsed as far as they go: a section with a bad value still yields every field that
// parsed, so the checks that read only good fields run at once (docs/ARCHITECTURE.md, "Config and
// secrets"). Pure zod; the schemas' own messages are the problems.
import type { z } from "zod";

export type Path = readonly PropertyKey[];

/** Sections as far as they parsed, and the paths (section first) of the values that did not. */
export interface PartialView {
  readonly values: Readonly<Record<string, unknown>>;
  readonly failed: readonly Path[];
}

/**
 * Parses `raw` whole; when that fails, also salvages every field that parses on its own. A salvaged
 * object lacks its failed fields and what its own transform would derive (hdfs.replication's
 * default); list entries keep their places. `failed` holds each issue's path, an unknown key as its
 * own path, so it taints no sibling.
 */
export function parsePartially(schema: z.ZodType, raw: unknown): { data: unknown; issues: z.core.$ZodIssue[]; failed: Path[] } {
  const whole = schema.safeParse(raw, { reportInput: true });
  if (whole.success) return { data: whole.data, issues: [], failed: [] };
  const { issues } = whole.error;
  const failed = issues.flatMap((issue) =>
    issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...issue.path, key]) : [issue.path],
  );
  return { data: salvage(schema, raw), issues, failed };
}

function salvage(schema: z.core.$ZodType, raw: unknown): unknown {
  const parsed = (schema as z.ZodType).safeParse(raw);
  if (parsed.success) return parsed.data;
  const def = schema._zod.def as z.core.$ZodTypeDef & Record<string, unknown>;
  switch (def.type) {
    case "default":
    case "prefault":
      return salvage(def.innerType as z.core.$ZodType, raw === undefined ? def.defaultValue : raw);
    case "optional":
      return raw === undefined ? undefined : salvage(def.innerType as z.core.$ZodType, raw);
    case "pipe": {
      // Input that parses but fails its transform (a block size off the checksum chunk) is no value.
      const input = def.in as z.core.$ZodType;
      return (input as z.ZodType).safeParse(raw).success ? undefined : salvage(input, raw);
    }
    case "object": {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return undefined;
      const shape = def.shape as Record<string, z.core.$ZodType>;
      return Object.fromEntries(
        Object.entries(shape)
          .map(([key, field]) => [key, salvage(field, (raw as Record<string, unknown>)[key])])
          .filter(([, value]) => value !== undefined),
      );
    }
    case "array":
      return Array.isArray(raw) ? raw.map((entry) => salvage(def.element as z.core.$ZodType, entry)) : undefined;
    default:
      return undefined;
  }
}

/**
 * A field a check reads, as a path: `registry.host`, `nodes.hosts[].name` (`[]`: every entry),
 * `nodes.hosts.length` (how many entries, not what they hold), `gpu.tolerations` (all of it).
 */
export type ReadPath = string;

const segments = (read: ReadPath) => read.split(".").flatMap((part) => (part.endsWith("[]") ? [part.slice(0, -2), "[]"] : [part]));

/** Whether every field at `reads` parsed: no failed path lies on, above or below one of them. */
function judgeable(view: PartialView, reads: readonly ReadPath[]): boolean {
  return reads.every((read) => {
    const wanted = segments(read);
    return view.failed.every((path) => {
      const shared = Math.min(path.length, wanted.length);
      for (let i = 0; i < shared; i++) {
        if (wanted[i] !== "[]" && wanted[i] !== String(path[i])) return true;
        if (wanted[i] === "[]" && typeof path[i] !== "number") return true;
      }
      return false;
    });
  });
}

/** The values at `path` and nothing else: `[]` keeps every entry, `length` keeps only the count. */
function pick(value: unknown, path: readonly string[]): unknown {
  if (path.length === 0 || value === undefined || value === null) return value;
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    if (head === "length") return Array.from({ length: value.length }, () => undefined);
    return head === "[]" ? value.map((entry) => pick(entry, rest)) : undefined;
  }
  return typeof value === "object" ? { [head]: pick((value as Record<string, unknown>)[head], rest) } : undefined;
}

function merge(a: unknown, b: unknown): unknown {
  if (a === undefined) return b;
  if (b === undefined) return a;
  if (Array.isArray(a) && Array.isArray(b)) return a.map((entry, i) => merge(entry, b[i]));
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null && !Array.isArray(a) && !Array.isArray(b)) {
    const merged: Record<string, unknown> = { ...a };
    for (const [key, value] of Object.entries(b)) merged[key] = merge(merged[key], value);
    return merged;
  }
  return b;
}

/**
 * Runs `check` when every field it reads parsed, on a view holding only those fields: a check that
 * reads a field it did not declare finds nothing there, in every test, not only on bad input.
 */
export function whenParsed<T>(view: PartialView, reads: readonly ReadPath[], check: (values: T) => void): void {
  if (!judgeable(view, reads)) return;
  check(reads.reduce<unknown>((values, read) => merge(values, pick(view.values, segments(read))), {}) as T);
}
