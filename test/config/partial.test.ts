// Sections parsed as far as they go, and checks that run only on the fields they name.
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { type PartialView, parsePartially, whenParsed } from "../../components/partial";

const schema = z.strictObject({
  port: z.int().min(1).default(80),
  hosts: z.array(z.strictObject({ name: z.string(), address: z.string() })).default([]),
  mode: z.enum(["a", "b"]).default("a"),
  size: z
    .string()
    .transform((v) => Number(v))
    .pipe(z.int())
    .optional(),
});

const viewOf = (raw: unknown): PartialView => {
  const { data, failed } = parsePartially(schema, raw);
  return { values: { s: data }, failed: failed.map((path) => ["s", ...path]) };
};

/** What the check at `reads` sees, or "skipped". */
const seen = (view: PartialView, reads: string[]) => {
  let values: unknown = "skipped";
  whenParsed(view, reads, (v) => {
    values = v;
  });
  return values;
};

describe("partial parsing", () => {
  it("keeps no value for a field whose input parses but whose transform fails, and keeps its siblings", () => {
    const { data, failed } = parsePartially(schema, { size: "1.5", port: 8080 });
    expect(data).toEqual({ port: 8080, hosts: [], mode: "a", size: undefined });
    expect(failed).toEqual([["size"]]);
  });

  it("keeps every field that parses, defaults included, and names the paths that do not", () => {
    const raw = {
      port: 0,
      hosts: [
        { name: "a", address: 1 },
        { name: "b", address: "x" },
      ],
      extra: true,
    };
    const { data, failed } = parsePartially(schema, raw);
    expect(data).toEqual({ hosts: [{ name: "a" }, { name: "b", address: "x" }], mode: "a" });
    expect(failed).toEqual([["port"], ["hosts", 0, "address"], ["extra"]]);
  });

  it("gives the whole value and no failures when it parses", () => {
    expect(parsePartially(schema, {})).toEqual({ data: { port: 80, hosts: [], mode: "a" }, issues: [], failed: [] });
  });

  it("runs a check only when no field it reads failed, and shows it nothing else", () => {
    const view = viewOf({
      port: 0,
      hosts: [
        { name: "a", address: 1 },
        { name: "b", address: "x" },
      ],
    });
    expect(seen(view, ["s.mode", "s.hosts[].name"])).toEqual({ s: { mode: "a", hosts: [{ name: "a" }, { name: "b" }] } });
    expect(seen(view, ["s.hosts.length"])).toEqual({ s: { hosts: [undefined, undefined] } });
    expect(seen(view, ["s.hosts[].address"])).toBe("skipped");
    expect(seen(view, ["s.port"])).toBe("skipped");
    expect(seen(view, ["s.hosts"])).toBe("skipped");
    expect(seen(viewOf("not a mapping"), ["s.mode"])).toBe("skipped");
  });
});
