// Builds the page's sources (web/src) into the node's package (node/web/static), offline.
// Output is deterministic: the same sources give the same bytes. BUILD.json records the
// SHA-256 of every source (so a test can tell the committed assets are current without npm)
// and of every output file.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, readdirSync, statSync, mkdirSync, copyFileSync, rmSync } from "node:fs";
import { join, relative, dirname } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, "..", "node", "web", "static");

/** Every file under dir, as paths relative to `here`, sorted (POSIX separators). */
function walk(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) found.push(...walk(p));
    else found.push(relative(here, p).split("\\").join("/"));
  }
  return found.sort();
}

const sha256 = (bytes) => createHash("sha256").update(bytes).digest("hex");

/** The sources' digest: sha256 over "path\0sha256(content)\n" for each source, sorted by path. */
function sourcesDigest(paths) {
  const h = createHash("sha256");
  for (const p of paths) h.update(`${p}\0${sha256(readFileSync(join(here, p)))}\n`);
  return h.digest("hex");
}

const sources = [...walk(join(here, "src")), "build.mjs", "package.json", "package-lock.json"].sort();
mkdirSync(out, { recursive: true });
// Old outputs go first (chunk names change with their content).
for (const name of readdirSync(out)) if (/^(app|chunk-[\w-]+)\.(js|css)$/.test(name)) rmSync(join(out, name));
// ESM with code splitting: ethers (signing with a dev key) loads only when a dev key is picked,
// so the first render parses the page's own code only.
await build({
  entryPoints: { app: join(here, "src", "main.js") },
  bundle: true,
  splitting: true,
  minify: true,
  format: "esm",
  target: ["es2020"],
  legalComments: "none",
  charset: "utf8",
  outdir: out,
  chunkNames: "chunk-[hash]",
  absWorkingDir: here, // chunk hashes name inputs relative to web/: the same from any checkout
  preserveSymlinks: true, // a linked node_modules (the currency test's rebuild) keeps the same paths
  logLevel: "warning",
});
await build({
  entryPoints: [join(here, "src", "style.css")],
  absWorkingDir: here,
  bundle: true,
  minify: true,
  outfile: join(out, "app.css"),
  logLevel: "warning",
});
copyFileSync(join(here, "src", "index.html"), join(out, "index.html"));
copyFileSync(join(here, "src", "favicon.svg"), join(out, "favicon.svg"));
const outputs = {};
for (const name of readdirSync(out).sort()) if (name !== "BUILD.json") outputs[name] = sha256(readFileSync(join(out, name)));
const info = { sources_sha256: sourcesDigest(sources), sources, outputs, built_with: "esbuild (web/package-lock.json)" };
writeFileSync(join(out, "BUILD.json"), JSON.stringify(info, null, 2) + "\n");
console.log(`built ${Object.keys(outputs).length} files into ${relative(process.cwd(), out) || "."}`);
