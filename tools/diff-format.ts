// How `npm run diff` prints a plan: for people (in the manner of `pulumi preview --diff`, colored
// in a terminal) or as JSON for tools. Secrets appear only as [secret].
import { styleText } from "node:util";
import { type FileChange, lineDiff, type Plan, type PropertyChange, shown, type Step } from "./diff-plan";

type Style = Parameters<typeof styleText>[0];

const SYMBOL: Record<Step["operation"], string> = { create: "+", update: "~", replace: "+-", delete: "-" };
const COLOR: Record<Step["operation"], Style> = { create: "green", update: "yellow", replace: "magenta", delete: "red" };
const MAX_VALUE = 160;

export function summaryLine(plan: Plan): string {
  const { create, update, replace, delete: deleted, dataLoss } = plan.summary;
  return `+${create} ~${update} ±${replace} -${deleted}, ${dataLoss} DATA LOSS`;
}

const value = (v: unknown) => {
  const text = shown(JSON.stringify(v) ?? "undefined");
  return text.length > MAX_VALUE ? `${text.slice(0, MAX_VALUE)}…` : text;
};

function changeLines(c: PropertyChange, paint: (style: Style, text: string) => string): string[] {
  const rule = c.replaces ? paint("magenta", `   [replaces: ${c.replaces}]`) : "";
  if (c.secret) return [`~ ${c.path}: [secret] (${c.kind === "update" ? "changed" : c.kind === "add" ? "added" : "removed"})${rule}`];
  if (c.kind === "add") return [`+ ${c.path}: ${value(c.new)}${rule}`];
  if (c.kind === "delete") return [`- ${c.path}: ${value(c.old)}${rule}`];
  if (typeof c.old === "string" && typeof c.new === "string" && (c.old.includes("\n") || c.new.includes("\n"))) {
    return [`~ ${c.path}:${rule}`, ...lineDiff(shown(c.old), shown(c.new)).map((l) => `    ${l}`)];
  }
  return [`~ ${c.path}: ${value(c.old)} => ${value(c.new)}${rule}`];
}

function fileLines(f: FileChange): string[] {
  const effect = f.effect ? `  (then: ${f.effect})` : "";
  if (f.status !== "changed") return [`${f.status === "added" ? "+" : "-"} ${f.path}${effect}`, ...f.lines.map((l) => `    ${l}`)];
  return [`~ ${f.path}${f.credentialsChanged ? ": proxy credentials changed" : ""}${effect}`, ...f.lines.map((l) => `    ${l}`)];
}

/** The plan for people; colored when `color` (a terminal that wants it). */
export function formatHuman(plan: Plan, heading: string, color: boolean): string {
  const paint = (style: Style, text: string) => (color ? styleText(style, text) : text);
  const out = [heading, ""];
  if (plan.steps.length === 0 && plan.nodes.length === 0) out.push("No changes.");
  if (plan.steps.length > 0) out.push("Resources:");
  for (const s of plan.steps) {
    const how = s.operation === "replace" ? (s.deleteBeforeReplace ? "  (delete, then create)" : "  (create, then delete)") : "";
    out.push(paint(COLOR[s.operation], `  ${SYMBOL[s.operation].padEnd(2)} ${s.type}  ${s.name}${how}`));
    out.push(paint("dim", `       ${s.urn}`));
    for (const c of s.changes) out.push(...changeLines(c, paint).map((l) => `       ${l}`));
    if (s.dataLoss) out.push(paint(["red", "bold"], `       DATA LOSS: ${s.dataLoss}`));
    for (const n of s.notes) out.push(paint("dim", `       note: ${n}`));
  }
  if (plan.nodes.length > 0) out.push("", "Nodes:");
  for (const n of plan.nodes) {
    const facts = [
      n.status === "added" ? "new node" : n.status === "removed" ? "node removed: its files stay on it" : undefined,
      n.credentialsChanged ? "proxy credentials changed" : undefined,
      n.restart ? "the runtime restarts" : n.status === "removed" ? undefined : "no runtime restart",
    ].filter(Boolean);
    out.push(`  ${n.node}: ${facts.join("; ")}`);
    for (const f of n.files) out.push(...fileLines(f).map((l) => `    ${l}`));
  }
  out.push("", paint(plan.summary.dataLoss > 0 ? ["red", "bold"] : "bold", summaryLine(plan)));
  return `${out.join("\n")}\n`;
}

/** The plan for tools: the same facts, no colors, secrets only as "changed". */
export function formatJson(plan: Plan, base: string, head: string): string {
  return `${JSON.stringify({ base, head, summary: plan.summary, steps: plan.steps, nodes: plan.nodes }, null, 2)}\n`;
}
