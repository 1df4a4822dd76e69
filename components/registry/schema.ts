// Placeholder: the owner of this component replaces it with the section's real schema.
import { z } from "zod";

export const registrySchema = z.strictObject({});
