// The stack config as tests build it: through the real loader's parse, so every default and
// message is the one users get.
import { parseStackConfig, type SecretKey, type StackConfig } from "../../components/config";

/** The validated config; fails the test with every problem when the loader rejects it. */
export function acceptedConfig(raw: Record<string, unknown>, secrets: readonly SecretKey[] = []): StackConfig {
  const result = parseStackConfig(raw, new Set(secrets));
  if ("problems" in result) throw new Error(`config rejected:\n${result.problems.join("\n")}`);
  return result.config;
}

/** The loader's problems with this config; empty when it is accepted. */
export function configProblems(raw: Record<string, unknown>, secrets: readonly SecretKey[] = []): string[] {
  const result = parseStackConfig(raw, new Set(secrets));
  return "problems" in result ? result.problems : [];
}
