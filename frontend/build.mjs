// Bundles src/codemirror.js into ../static/exam/vendor/codemirror.js (an ES module, committed).
// `npm ci && npm run build` here rebuilds it; `node build.mjs --check` fails if the committed
// bundle differs from a fresh build (CI runs it).
import { build } from "esbuild";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const outfile = join(here, "..", "static", "exam", "vendor", "codemirror.js");
const check = process.argv.includes("--check");

const result = await build({
  entryPoints: [join(here, "src", "codemirror.js")],
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  legalComments: "eof",
  banner: { js: "// Built by frontend/build.mjs from frontend/src/codemirror.js: do not edit." },
  write: !check,
  outfile,
  logLevel: "warning",
});

if (check) {
  const fresh = result.outputFiles[0].text;
  const committed = readFileSync(outfile, "utf8");
  if (fresh !== committed) {
    console.error(`${outfile} is out of date: run \`npm run build\` in frontend/ and commit it.`);
    process.exit(1);
  }
  console.log("codemirror bundle is up to date");
}
