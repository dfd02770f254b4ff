#!/usr/bin/env node
// The `registry` bin: runs the TypeScript CLI through tsx (a bundled build is to come).
import { register } from "tsx/esm/api";

register();
await import("./bin.ts");
