// Vitest setup file: after each test file (its own afterAll hooks, which stop its daemons, run
// first), remove the temp dirs it made.
import { afterAll } from "vitest";
import { removeTempDirs } from "./daemons";

afterAll(removeTempDirs);
