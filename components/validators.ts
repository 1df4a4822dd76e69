// Building blocks for the stack's zod schema. Every validator carries its own "expected …"
// message, so an error reads `registry.port: expected an integer 1–65535, got "abc"`.
import { CronExpressionParser } from "cron-parser";
import { z } from "zod";
import { isHostIpv4, isIpv4, isLoopbackIpv4, isNetworkCidr, prefixLength } from "./ipv4";

/** One message for the type check and every refinement of a schema. */
const expecting = (what: string) => ({ error: `expected ${what}` });

export const integer = (min: number, max: number) => {
  const e = expecting(`an integer ${min}–${max}`);
  return z.int(e).min(min, e).max(max, e);
};

export const port = () => integer(1, 65535);

/**
 * Kubernetes' own ports on a node: kubeadm's defaults (API server, etcd and its metrics, kubelet and
 * its health, kube-proxy metrics and health, controller manager, scheduler) and k3s' (its API server
 * behind the supervisor, containerd's streaming server). A hostPort there takes the component's
 * traffic; a loopback registry, on the node's network, could not even bind the ones on 127.0.0.1.
 */
const KUBERNETES_NODE_PORTS = [6443, 2379, 2380, 2381, 10248, 10249, 10250, 10256, 10257, 10259, 6444, 10010];
/** Kubernetes' default NodePort range (kube-apiserver --service-node-port-range). */
export const NODE_PORT_RANGE = { min: 30000, max: 32767 } as const;

/**
 * A port a pod takes on its node (hostPort): outside the NodePort range, whose ports kube-proxy
 * forwards to Services on every node, and off Kubernetes' own ports.
 */
export const hostPort = () =>
  port().superRefine((v, ctx) => {
    const why =
      v >= NODE_PORT_RANGE.min && v <= NODE_PORT_RANGE.max
        ? `the NodePort range ${NODE_PORT_RANGE.min}–${NODE_PORT_RANGE.max}, where kube-proxy forwards to Services`
        : KUBERNETES_NODE_PORTS.includes(v)
          ? `Kubernetes' own ports on a node (${KUBERNETES_NODE_PORTS.join(", ")})`
          : undefined;
    if (why !== undefined) ctx.addIssue({ code: "custom", input: v, message: `expected a port 1–65535 outside ${why}` });
  });

export const nonEmptyString = (what = "a non-empty string") => z.string(expecting(what)).min(1, expecting(what));

/** RFC 1123 DNS label (Kubernetes object names, namespaces). */
export const dnsLabel = () => {
  const e = expecting("a DNS label (lower-case letters, digits and '-', at most 63, starting and ending alphanumeric)");
  return z.string(e).regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, e);
};

/** RFC 1123 DNS subdomain (most Kubernetes object names, e.g. a StorageClass). */
export const dnsSubdomain = () => {
  const e = expecting("a DNS subdomain (lower-case letters, digits, '-' and '.', at most 253, starting and ending alphanumeric)");
  return z
    .string(e)
    .max(253, e)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, e);
};

const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$/;

export function isHost(value: string): boolean {
  return isIpv4(value) || HOSTNAME.test(value);
}

/** A DNS server Docker's containers can reach: a host's address, not loopback (a container's own). */
export const dnsServer = () => {
  const e = expecting(
    "the IPv4 address of a DNS server, not loopback (inside a container that is the container itself), 0.0.0.0/8, multicast or broadcast",
  );
  return z.string(e).refine((v) => isHostIpv4(v) && !isLoopbackIpv4(v), e);
};

/** A DNS name, or an IPv4 address some host can have. */
const isHostAddress = (value: string) => (isIpv4(value) ? isHostIpv4(value) : HOSTNAME.test(value));

/** An IPv4 address or a DNS name, as a host is reached at. */
export const host = () => {
  const e = expecting("an IPv4 address or a DNS name (no 0.0.0.0/8, multicast or broadcast address)");
  return z.string(e).refine(isHostAddress, e);
};

/** `host:port`, as the registry endpoint and the API server address are written. */
export const hostAndPort = () => {
  const e = expecting("host:port (an IPv4 address or DNS name, then a port 1–65535)");
  return z.string(e).refine((v) => {
    const m = /^(.+):(\d{1,5})$/.exec(v);
    return m !== null && isHostAddress(m[1]) && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
  }, e);
};

/** The prefix lengths a network may have, and why. */
export interface PrefixRange {
  readonly shortest: number;
  readonly longest: number;
  readonly why: string;
}

/** Every network the config names lands in NO_PROXY: a wider one would send outside traffic past the proxy. */
export const NO_PROXY_SHORTEST_PREFIX = 8;

export const cidr = (prefix: PrefixRange) => {
  const form = "an IPv4 CIDR whose address is the network address (e.g. 10.244.0.0/16)";
  return z.string(expecting(form)).superRefine((v, ctx) => {
    if (!isNetworkCidr(v)) {
      ctx.addIssue({ code: "custom", input: v, message: `expected ${form}` });
      return;
    }
    const length = prefixLength(v);
    if (length < prefix.shortest || length > prefix.longest) {
      ctx.addIssue({
        code: "custom",
        input: v,
        message: `expected a prefix length /${prefix.shortest}–/${prefix.longest} (${prefix.why})`,
      });
    }
  });
};

/** http(s) URL with a host, a port 1–65535 if any, no credentials inside (they are secrets of their own). */
export const httpUrl = () => {
  const e = expecting("an http:// or https:// URL with a host and no user:password inside (e.g. http://proxy.example.com:8080)");
  return z.string(e).refine((v) => {
    try {
      const u = new URL(v);
      return (
        (u.protocol === "http:" || u.protocol === "https:") &&
        u.hostname !== "" &&
        u.port !== "0" &&
        u.username === "" &&
        u.password === "" &&
        /^https?:\/\//.test(v)
      );
    } catch {
      return false;
    }
  }, e);
};

const BYTE_UNITS: Readonly<Record<string, number>> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };

/** The byte count of a quantity `byteQuantity` accepted. */
export function quantityBytes(quantity: string): number {
  const [, count, unit] = /^(\d+)(Ki|Mi|Gi|Ti)$/.exec(quantity) ?? [];
  return Number(count) * (BYTE_UNITS[unit] ?? Number.NaN);
}

/** Sizes are counted in bytes exactly (a JavaScript safe integer): 8 PiB less one byte. */
const LARGEST_BYTE_QUANTITY = "8191Ti";

/**
 * Kubernetes quantity with a binary unit, as storage sizes and memory are written (e.g. 50Gi), at
 * most 8191Ti, and at least `smallest` when the consumer has a floor (with the reason).
 */
export const byteQuantity = (smallest?: { readonly quantity: string; readonly why: string }) => {
  const form = "a size with a unit Ki, Mi, Gi or Ti (e.g. 50Gi)";
  return z.string(expecting(form)).superRefine((v, ctx) => {
    if (!/^[1-9][0-9]*(Ki|Mi|Gi|Ti)$/.test(v)) {
      ctx.addIssue({ code: "custom", input: v, message: `expected ${form}` });
    } else if (quantityBytes(v) > quantityBytes(LARGEST_BYTE_QUANTITY)) {
      ctx.addIssue({ code: "custom", input: v, message: `expected a size of at most ${LARGEST_BYTE_QUANTITY}` });
    } else if (smallest && quantityBytes(v) < quantityBytes(smallest.quantity)) {
      ctx.addIssue({ code: "custom", input: v, message: `expected at least ${smallest.quantity} (${smallest.why})` });
    }
  });
};

/** The macros Kubernetes documents for a CronJob's schedule (robfig/cron's descriptors). */
const CRON_MACROS = ["yearly", "annually", "monthly", "weekly", "daily", "midnight", "hourly"];
const CRON_FORM = `a five-field cron schedule: minute 0–59, hour 0–23, day of month 1–31, month 1–12 or JAN–DEC, day of week 0–6 or SUN–SAT, each *, ?, a value, a range, a list or a step (e.g. "0 3 * * 0"); or one of ${CRON_MACROS.map((m) => `@${m}`).join(", ")}`;

const MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec";
const DAYS = "sun|mon|tue|wed|thu|fri|sat";
/** Each field as Kubernetes' cron (robfig/cron's standard parser) reads it: no L, W, # or H, Sunday is 0 only. */
const CRON_FIELDS = [
  { value: "[0-9]+", blank: false },
  { value: "[0-9]+", blank: false },
  { value: "[0-9]+", blank: true },
  { value: `[0-9]+|${MONTHS}`, blank: false },
  { value: `[0-9]+|${DAYS}`, blank: true },
].map(({ value, blank }) => {
  const part = `(\\*${blank ? "|\\?" : ""}|(${value})(-(${value}))?)(/[0-9]+)?`;
  return new RegExp(`^${part}(,${part})*$`, "i");
});

/** Five-field cron schedule, as CronJob takes it; cron-parser judges each field's range. */
export const cronSchedule = () =>
  z.string(expecting(CRON_FORM)).superRefine((v, ctx) => {
    if (v.startsWith("@") && CRON_MACROS.includes(v.slice(1))) return;
    const fields = v.trim().split(/\s+/);
    const wellFormed = fields.length === CRON_FIELDS.length && fields.every((field, i) => CRON_FIELDS[i].test(field));
    let outOfRange: string | undefined;
    if (wellFormed) {
      try {
        CronExpressionParser.parse(v);
      } catch (error) {
        outOfRange = error instanceof Error ? error.message : String(error);
      }
      // Vixie cron and cron-parser read 7 (07, 5-07) as Sunday; robfig/cron refuses it.
      if (outOfRange === undefined && /(^|[,-])0*7([-,/]|$)/.test(fields[4])) outOfRange = "day of week 7: Sunday is 0";
    }
    if (!wellFormed || outOfRange !== undefined) {
      ctx.addIssue({ code: "custom", input: v, message: `expected ${CRON_FORM}${outOfRange ? ` (${outOfRange})` : ""}` });
    }
  });

/** An image tag that pins a version: never `latest`, never empty. */
export const pinnedTag = () => {
  const e = expecting("a pinned image tag (not 'latest')");
  return z
    .string(e)
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/, e)
    .refine((v) => v !== "latest", e);
};

/**
 * A registry.k8s.io/kubectl tag `v1.x.y`. From 1.29 on: the image got a shell when it moved from a
 * distroless base to debian-base (kubernetes #119592), and the stack's kubectl jobs run shell scripts.
 */
export const kubectlTag = (job: string) => {
  const e = expecting(
    `a registry.k8s.io/kubectl tag v1.x.y from v1.29.0 on (${job} runs a shell script), within one minor version of the cluster (e.g. v1.32.4)`,
  );
  return z.string(e).regex(/^v1\.(29|[3-9]\d)\.\d+$/, e);
};

export const enumOf = <const T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, expecting(`one of ${values.map((v) => `"${v}"`).join(", ")}`));

export const bool = () => z.boolean(expecting("true or false"));

/** Calls `repeated(index, firstIndex)` for every value an earlier entry already had. */
export function forEachRepeat(values: readonly string[], repeated: (index: number, firstIndex: number) => void): void {
  const firstIndex = new Map<string, number>();
  values.forEach((value, i) => {
    const first = firstIndex.get(value);
    if (first === undefined) firstIndex.set(value, i);
    else repeated(i, first);
  });
}

/**
 * A mapping whose keys are checked one by one: a bad key is reported at its own path, with what is
 * expected (zod's key schemas would only say "Invalid key in record").
 */
export const mapping = <V extends z.ZodType>(isKey: (key: string) => boolean, expectedKey: string, value: V) =>
  z.record(z.string(), value, { error: "expected a mapping" }).superRefine((record, ctx) => {
    for (const key of Object.keys(record))
      if (!isKey(key)) ctx.issues.push({ code: "custom", path: [key], input: key, message: expectedKey });
  });

/** A label key (also a taint key): an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export const isLabelKey = (key: string) =>
  key.length <= 253 + 1 + 63 &&
  /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(key);

/** A label value (also a taint value): empty, or at most 63 characters. */
export const labelValue = () => {
  const e = expecting("a label value (at most 63 letters, digits, '-', '_' or '.', starting and ending alphanumeric)");
  return z.string(e).regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, e);
};
