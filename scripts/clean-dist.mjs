// Deletes dist/ before `npm pack` builds it again (`prepack`), so a module deleted or
// renamed in src/ never ships from an old build. Plain Node, no dependency.
import { rmSync } from "node:fs";
import { URL } from "node:url";

rmSync(new URL("../dist/", import.meta.url), { recursive: true, force: true });
