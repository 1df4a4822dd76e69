// Checks across config sections. Its own module: the section schemas declare their checks with
// `crossCheck`, and config.ts imports those schemas.
import type { SecretKey, StackConfig } from "./config";

/** Adds one problem: the key path and what is wrong with its value. */
export type Report = (path: string, message: string) => void;

/** A check across sections: it sees only the sections it reads, and runs once they are all valid. */
export interface CrossCheck<K extends keyof StackConfig> {
  readonly reads: readonly K[];
  readonly check: (config: Pick<StackConfig, K>, report: Report, secretsPresent: ReadonlySet<SecretKey>) => void;
}

export const crossCheck = <K extends keyof StackConfig>(reads: readonly K[], check: CrossCheck<K>["check"]): CrossCheck<K> => ({
  reads,
  check,
});
