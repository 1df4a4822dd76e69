// Placeholder: the owner of this component replaces it with the section's real schema.
import { z } from "zod";
import type { CrossCheck } from "../config";

export const hdfsSchema = z.strictObject({
  /** Deploy HDFS. @default false */
  enabled: z.boolean().default(false),
});
export const hdfsCrossCheck: CrossCheck = () => {};
