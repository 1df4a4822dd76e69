// Kubernetes resource quantities (apimachinery's resource.Quantity): a decimal number, optionally
// with an exponent, and a binary (Ki…Ei) or decimal (n, u, m, k, M…E) suffix.
const SUFFIXES: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:[eE]([+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/;

/** The quantity's value in base units (cores, bytes, devices), or undefined when it is not one. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value !== "string") return undefined;
  const match = QUANTITY.exec(value.trim());
  if (!match) return undefined;
  const [, number, exponent, suffix] = match;
  return Number(number) * (exponent !== undefined ? 10 ** Number(exponent) : SUFFIXES[suffix ?? ""]);
}

/** A value in base units, shown as people read it: cores as millicores below one, bytes in Gi or Mi. */
export function showQuantity(resource: string, value: number): string {
  if (resource === "cpu") return value < 1 || !Number.isInteger(value) ? `${Math.round(value * 1000)}m` : String(value);
  if (resource === "memory" || resource === "storage" || resource === "ephemeral-storage") {
    return value >= 2 ** 30 ? `${+(value / 2 ** 30).toFixed(2)}Gi` : `${+(value / 2 ** 20).toFixed(2)}Mi`;
  }
  return String(value);
}
