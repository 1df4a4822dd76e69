// Placeholder: the owner of this component replaces it with the section's real schema.
import { z } from "zod";
import type { CrossCheck } from "../config";

export const nodesSchema = z.strictObject({});
export const nodesCrossCheck: CrossCheck = () => {};
