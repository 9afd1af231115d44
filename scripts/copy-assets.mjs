// Copies the non-TypeScript files the compiled code reads at run time (the store's Lua
// scripts) from src/ to the same place under dist/, after `tsc`. Plain Node, no
// dependency, so `npm run build` works the same on every platform and in the Dockerfile.
import { cpSync, rmSync } from "node:fs";
import { URL } from "node:url";

/** Directories under src/ whose files are shipped as they are. */
const ASSET_DIRS = ["store/lua"];

const src = new URL("../src/", import.meta.url);
const dist = new URL("../dist/", import.meta.url);
for (const dir of ASSET_DIRS) {
  const target = new URL(`${dir}/`, dist);
  // A script deleted from src/ must not linger in dist/.
  rmSync(target, { recursive: true, force: true });
  cpSync(new URL(`${dir}/`, src), target, { recursive: true });
}
