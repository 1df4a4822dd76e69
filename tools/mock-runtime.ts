// Pulumi's mock runtime, recording what the program registers exactly as the engine would receive
// it: type, name, parent, dependencies and inputs with secrets still marked. Shared by the unit
// tests and by `npm run render`.
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { MockMonitor as SdkMockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { join } from "node:path";
import { Worker } from "node:worker_threads";
import type { tlsState } from "./mock-tls";
import type { TlsReply, TlsRequest, TlsState } from "./mock-tls-worker";

// Wire signatures of the Pulumi RPC protocol (sdk/nodejs/runtime/rpc.ts).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export const SECRET_PLACEHOLDER = "[secret]";

export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  readonly urn: string;
  readonly custom: boolean;
  /** URN of the parent, or undefined for a top-level resource. */
  readonly parent?: string;
  /** URNs this resource depends on (explicit dependsOn and inputs' resources). */
  readonly dependencies: string[];
  /** Inputs as sent to the engine, secrets still wrapped. Use `plain` or `masked` to read them. */
  readonly wire: unknown;
  /** State the (mock) provider answered with, secrets still wrapped. */
  readonly state: unknown;
  /** The names this resource had before (its `aliases` by name): the engine sees a rename, not a replace. */
  readonly aliasNames: string[];
  /** The options the engine acts on when the resource changes or goes (read by `npm run diff`). */
  readonly options: RecordedOptions;
  /** Its `customTimeouts` option, when set: how long the engine waits for it. */
  readonly customTimeouts?: { readonly create: string; readonly update: string; readonly delete: string };
}

export interface RecordedOptions {
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly deleteBeforeReplace: boolean;
  /** Property paths whose change replaces the resource (the SDKs add their own, e.g. a command's `triggers[*]`). */
  readonly replaceOnChanges: string[];
  readonly ignoreChanges: string[];
}

type Wire = unknown;

function isSig(value: unknown, sig: string): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === sig;
}

/** True when this wire value (or a value inside it) is a secret. */
export function containsSecret(value: Wire): boolean {
  if (isSig(value, SECRET_SIG)) return true;
  if (Array.isArray(value)) return value.some(containsSecret);
  if (typeof value === "object" && value !== null) return Object.values(value).some(containsSecret);
  return false;
}

/** True when this wire value is itself a secret. */
export function isSecret(value: Wire): boolean {
  return isSig(value, SECRET_SIG);
}

function convert(value: Wire, secret: (inner: Wire) => unknown): unknown {
  if (isSig(value, SECRET_SIG)) return secret(value.value);
  if (isSig(value, RESOURCE_SIG)) return value.urn;
  if (value === UNKNOWN) return "[unknown]";
  if (Array.isArray(value)) return value.map((v) => convert(v, secret));
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(v, secret)]));
  }
  return value;
}

/** The wire value with secrets unwrapped: what the provider would receive. */
// biome-ignore lint/suspicious/noExplicitAny: tests read any resource type's inputs by path; the recorder knows no input types
export function plain(value: Wire): any {
  return convert(value, (inner) => plain(inner));
}

/** The wire value with each secret value replaced by `mark(secret)`; a secret mapping keeps its keys. */
function hideSecrets(value: Wire, mark: (secret: Wire) => string): unknown {
  const hidden = (inner: Wire): unknown =>
    typeof inner === "object" && inner !== null && !Array.isArray(inner) && !isSig(inner, SECRET_SIG) && !isSig(inner, RESOURCE_SIG)
      ? Object.fromEntries(Object.entries(inner).map(([k, v]) => [k, hidden(v)]))
      : mark(inner);
  return convert(value, hidden);
}

/**
 * The wire value with every secret value replaced by "[secret]": what may be shown to people. A
 * secret mapping keeps its keys (a Secret's file names), never its values.
 */
// biome-ignore lint/suspicious/noExplicitAny: as plain(), read by path for any resource type
export function masked(value: Wire): any {
  return hideSecrets(value, () => SECRET_PLACEHOLDER);
}

/** "[secret:<digest>]": two renders' secrets compare equal or not, and neither value shows. */
export const secretMarker = (plaintext: string) => `[secret:${shortHash(plaintext, 16)}]`;

/**
 * As masked(), but each secret value becomes its secretMarker. A render holds no real secret (stack
 * secrets are placeholders, provider secrets are the mock's), so the digest gives nothing away.
 */
// biome-ignore lint/suspicious/noExplicitAny: as plain(), read by path for any resource type
export function fingerprinted(value: Wire): any {
  return hideSecrets(value, (secret) => secretMarker(JSON.stringify(plain(secret))));
}

function secretWire(value: unknown): Record<string, unknown> {
  return { [SIG_KEY]: SECRET_SIG, value };
}

const shortHash = (value: unknown, length = 64) => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, length);

type TlsProvider = { start(): void; state: typeof tlsState };

/** tlsState on a worker thread (./mock-tls-worker), held open only while a certificate is owed. */
function tlsOnWorker(script: string): TlsProvider {
  let worker: Worker | undefined;
  let lastId = 0;
  const waiting = new Map<number, { resolve(result: TlsState): void; reject(error: unknown): void }>();
  const spawn = () => {
    const started = new Worker(script);
    started.on("message", (reply: TlsReply) => {
      const call = waiting.get(reply.id);
      waiting.delete(reply.id);
      if (waiting.size === 0) started.unref();
      if ("error" in reply) call?.reject(reply.error);
      else call?.resolve(reply.result);
    });
    started.on("error", (error) => {
      for (const call of waiting.values()) call.reject(error);
      waiting.clear();
      worker = undefined;
    });
    started.unref(); // an idle worker never keeps the process alive
    return started;
  };
  const ensure = () => {
    worker ??= spawn();
    return worker;
  };
  return {
    start: ensure,
    state: (...args) => {
      const request: TlsRequest = { id: ++lastId, args };
      const running = ensure();
      running.ref();
      running.postMessage(request);
      return new Promise((resolve, reject) => waiting.set(request.id, { resolve, reject }));
    },
  };
}

/**
 * The mock tls provider. Compiled (render, bench, diff), it runs on a worker thread, where its X.509
 * library loads while the program does; from source (vitest) it runs in this thread, so a test sees
 * ./mock-tls as edited, not its last build. One for every mock runtime of the process.
 */
const tlsProvider: TlsProvider = __filename.endsWith(".js")
  ? tlsOnWorker(join(__dirname, "mock-tls-worker.js"))
  : { start: () => {}, state: async (...args) => (await import("./mock-tls.js")).tlsState(...args) };

/**
 * What providers answer, on the wire: deterministic, so renders are stable. Kubernetes objects echo
 * their inputs; the rest get the fields the stack consumes.
 */
async function providerState(type: string, name: string, wire: Record<string, Wire>, tlsValidFrom: Date): Promise<Record<string, Wire>> {
  if (type.startsWith("kubernetes:")) {
    const metadata = (wire.metadata ?? {}) as Record<string, Wire>;
    return { ...wire, metadata: { ...metadata, name: metadata.name ?? name } };
  }
  if (type.startsWith("command:")) return { ...wire, stdout: "", stderr: "" };
  if (type.startsWith("tls:")) {
    const { state, secret } = await tlsProvider.state(type, name, plain(wire), tlsValidFrom);
    return Object.fromEntries(Object.entries(state).map(([k, v]) => [k, secret.includes(k) ? secretWire(v) : v]));
  }
  switch (type) {
    case "docker:index/image:Image": {
      const inputs = plain(wire);
      const repo = String(inputs.imageName ?? name).replace(/:[^:/]+$/, "");
      return { ...wire, repoDigest: `${repo}@sha256:${shortHash(inputs.build ?? inputs)}` };
    }
    case "random:index/randomPassword:RandomPassword":
      return { ...wire, result: secretWire(`mock-${shortHash(name, 24)}`), bcryptHash: secretWire(`$2a$10$${shortHash(name, 53)}`) };
    case "random:index/randomBytes:RandomBytes":
      return {
        ...wire,
        hex: secretWire(shortHash(name, (plain(wire.length) ?? 32) * 2)),
        base64: secretWire(Buffer.from(shortHash(name)).toString("base64")),
      };
    case "random:index/randomId:RandomId":
      return { ...wire, hex: shortHash(name, (plain(wire.byteLength) ?? 8) * 2), b64Url: shortHash(name, 16) };
    default:
      return wire;
  }
}

/** The parts of the SDK's gRPC messages (proto/resource_pb) the recorder reads. */
interface Struct {
  toJavaScript(): unknown;
}
interface RegisterResourceRequest {
  getType(): string;
  getName(): string;
  getCustom(): boolean;
  getParent(): string;
  getDependenciesList(): string[];
  getObject(): Struct | undefined;
  getAliasesList(): { getSpec(): { getName(): string } | undefined }[];
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getReplaceonchangesList(): string[];
  getIgnorechangesList(): string[];
  getCustomtimeouts(): { getCreate(): string; getUpdate(): string; getDelete(): string } | undefined;
}
/** What the SDK reads of a RegisterResourceResponse (runtime/resource.ts). */
interface RegisterResourceResponse {
  getUrn(): string;
  getId(): string;
  getObject(): Struct;
  getPropertydependenciesMap(): undefined;
  getResult(): number;
  /** Whether the engine left the state unknown, asked outside a preview. */
  getUnknown(): boolean;
}
interface RegisterResourceOutputsRequest {
  getUrn(): string;
  getOutputs(): Struct | undefined;
}
type Callback<T> = (err: unknown, response: T) => void;
/** The SDK's MockMonitor (runtime/mocks.ts) with the request types the recorder reads. */
interface MockMonitor extends Pick<SdkMockMonitor, "resources"> {
  /** Private in the SDK's types: the URN it gives a registration, the parent's type qualifying a child's. */
  newUrn(parent: string, type: string, name: string): string;
  registerResource(req: RegisterResourceRequest, callback: Callback<RegisterResourceResponse | undefined>): void;
  registerResourceOutputs(req: RegisterResourceOutputsRequest, callback: Callback<unknown>): void;
}

function timeoutsOf(req: RegisterResourceRequest): Pick<RecordedResource, "customTimeouts"> {
  const timeouts = req.getCustomtimeouts();
  return timeouts !== undefined
    ? { customTimeouts: { create: timeouts.getCreate(), update: timeouts.getUpdate(), delete: timeouts.getDelete() } }
    : {};
}

/**
 * Registers resources as the SDK's MockMonitor.registerResource does (runtime/mocks.ts), keeping what the
 * engine would have received. Its round trips (the request's inputs converted twice and deserialised,
 * the provider's state serialised, converted into a response Struct and back) were the largest part of
 * registering a large stack: the request is converted once, `answer` reads and answers on the wire,
 * and the state goes back as the wire value the SDK reads from a response.
 */
function recordRegistrations(
  monitor: MockMonitor,
  answer: (type: string, name: string, wire: Record<string, Wire>) => Promise<Record<string, Wire>>,
  log: RecordedResource[],
  outputs: Map<string, unknown>,
): void {
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, callback) => {
    outputs.set(req.getUrn(), req.getOutputs()?.toJavaScript() ?? {});
    registerOutputs(req, callback);
  };
  monitor.registerResource = async (req, callback) => {
    let response: RegisterResourceResponse;
    try {
      const wire = (req.getObject()?.toJavaScript() ?? {}) as Record<string, Wire>;
      const type = req.getType();
      const id = req.getCustom() ? `${req.getName()}-id` : null;
      const state = await answer(type, req.getName(), wire);
      const urn = monitor.newUrn(req.getParent(), type, req.getName());
      monitor.resources.set(urn, { urn, id, state });
      log.push({
        type,
        name: req.getName(),
        urn,
        custom: req.getCustom(),
        parent: req.getParent() || undefined,
        dependencies: req.getDependenciesList(),
        wire,
        state,
        aliasNames: req.getAliasesList().flatMap((alias) => alias.getSpec()?.getName() || []),
        options: {
          protect: req.getProtect() ?? false,
          retainOnDelete: req.getRetainondelete() ?? false,
          deleteBeforeReplace: req.getDeletebeforereplace(),
          replaceOnChanges: req.getReplaceonchangesList(),
          ignoreChanges: req.getIgnorechangesList(),
        },
        ...timeoutsOf(req),
      });
      response = {
        getUrn: () => urn,
        getId: () => id ?? "",
        getObject: () => ({ toJavaScript: () => state }),
        getPropertydependenciesMap: () => undefined,
        getResult: () => 0, // Result.SUCCESS
        getUnknown: () => false, // a mock engine knows every value
      };
    } catch (err) {
      callback(err, undefined);
      return;
    }
    // Outside the try: an error the SDK throws while reading the response must surface as itself. Caught,
    // it would call back a second time, the SDK would throw again, and the program would wait forever.
    callback(null, response);
  };
}

export interface MockRuntime {
  /** Every resource registered so far, in the order the mock providers answered. */
  readonly resources: RecordedResource[];
  /** Outputs registered by components (`registerOutputs`), by URN, as wire values. */
  readonly outputs: ReadonlyMap<string, unknown>;
  /** Waits until every pending registration has reached the mock engine. */
  settle(): Promise<void>;
  /** Resources of one type, optionally filtered by name. */
  ofType(type: string, name?: string): RecordedResource[];
  /** The one resource of this type (and name): fails loudly when there is not exactly one. */
  one(type: string, name?: string): RecordedResource;
}

export interface MockRuntimeOptions {
  readonly project?: string;
  readonly stack?: string;
  /** Config values, keyed without the project prefix (other packages' keys keep theirs); objects are JSON-encoded as Pulumi does. */
  readonly config?: Record<string, unknown>;
  /** Config keys (without prefix) that are secrets. */
  readonly secretKeys?: readonly string[];
  readonly preview?: boolean;
  /** When the mock tls provider's certificates start to be valid. @default MOCK_TLS_VALID_FROM (stable renders) */
  readonly tlsValidFrom?: Date;
}

/** A fixed start, so rendered certificates never change; tests that hand them to real programs pass the current time. */
export const MOCK_TLS_VALID_FROM = new Date("2026-01-01T00:00:00Z");

/**
 * Installs the recording mock runtime. Must run before any resource is constructed: under vitest,
 * call it first and import the program or components afterwards with `await import()`.
 */
export function startMockRuntime(options: MockRuntimeOptions = {}): MockRuntime {
  const project = options.project ?? "spark-gpu-stack";
  const log: RecordedResource[] = [];
  const tlsValidFrom = options.tlsValidFrom ?? MOCK_TLS_VALID_FROM;
  const answer = (type: string, name: string, wire: Record<string, Wire>) => providerState(type, name, wire, tlsValidFrom);
  const mocks: pulumi.runtime.Mocks = {
    // Registrations go to `answer` (recordRegistrations). The program reads no resource (`Resource.get`).
    newResource: (args) => {
      throw new Error(`the mock runtime answers no reads: ${args.type} ${args.name}`);
    },
    call: (args) => args.inputs,
  };
  // The certificate library loads on another core while the program loads.
  tlsProvider.start();
  const stack = options.stack ?? "test";
  const preview = options.preview ?? false;
  void pulumi.runtime.setMocks(mocks, project, stack, preview); // synchronous up to its end
  const outputs = new Map<string, unknown>();
  // setMocks installed its MockMonitor as the monitor; the SDK types the monitor as the gRPC client.
  recordRegistrations(pulumi.runtime.getMonitor() as unknown as MockMonitor, answer, log, outputs);
  const config = Object.fromEntries(
    Object.entries(options.config ?? {}).map(([k, v]) => [
      k.includes(":") ? k : `${project}:${k}`,
      typeof v === "string" ? v : JSON.stringify(v),
    ]),
  );
  pulumi.runtime.setAllConfig(
    config,
    (options.secretKeys ?? []).map((k) => `${project}:${k}`),
  );
  const ofType = (type: string, name?: string) => log.filter((r) => r.type === type && (name === undefined || r.name === name));
  return {
    resources: log,
    outputs,
    settle: () => (require("@pulumi/pulumi/runtime/settings") as { waitForRPCs(): Promise<void> }).waitForRPCs(),
    ofType,
    one(type, name) {
      const found = ofType(type, name);
      if (found.length !== 1)
        throw new Error(
          `expected one ${type}${name ? ` named ${name}` : ""}, found ${found.length}: ${log.map((r) => `${r.type}::${r.name}`).join(", ")}`,
        );
      return found[0];
    },
  };
}

/** Resolves an Output in tests, also telling whether it is secret. */
export async function resolve<T>(output: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
  // promise(withUnknowns) and isSecret are the SDK's internal accessors (OutputImpl), not on the public Output type.
  const o = output as unknown as { promise(withUnknowns?: boolean): Promise<T>; isSecret: Promise<boolean> };
  const [value, secret] = await Promise.all([o.promise(true), o.isSecret]);
  return { value, secret };
}

/**
 * Runs `declare` with the SDK's stack traces off. The SDK stamps every promise it makes with one, for a
 * leak report the mock engine never gives, and parses a full one per resource for the engine's source
 * positions, which nothing here reads: they were the largest cost of registering a large stack. Errors
 * thrown meanwhile keep their message.
 */
export async function withoutStackTraces<T>(declare: () => Promise<T>): Promise<T> {
  const stackTraceLimit = Error.stackTraceLimit;
  const sdkResource = pulumi.Resource as unknown as { stackTrace(skip: number): unknown[] };
  const stackTraceOf = sdkResource.stackTrace;
  Error.stackTraceLimit = 0;
  sdkResource.stackTrace = () => [];
  try {
    return await declare();
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    sdkResource.stackTrace = stackTraceOf;
  }
}
