#!/usr/bin/env node
// build.mjs - assemble the console into a folder a web server (mosquitto's
// http_dir) can serve: the page (src/) plus the browser builds of its
// third-party libraries from node_modules (installed by `npm ci`).
//
//   node build.mjs [--out DIR]      (default: dist/)
//
// Nothing is fetched: run `npm ci` first.  The output has no node_modules,
// no package files and no tests: only what the browser loads.
import { cpSync, existsSync, mkdirSync, rmSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const args = process.argv.slice(2);
const oi = args.indexOf('--out');
const out = resolve(oi >= 0 && args[oi + 1] ? args[oi + 1] : join(here, 'dist'));

function pkgDir(name) {
	try {
		return dirname(require.resolve(`${name}/package.json`));
	} catch {
		console.error(`build: ${name} is not installed: run \`npm ci\` in ${here} (or scripts/install-base-deps.sh)`);
		process.exit(1);
	}
}

const vendor = [
	// [from (package, path), to]
	['mqtt', 'dist/mqtt.min.js', 'vendor/mqtt.min.js'],
	['leaflet', 'dist/leaflet.js', 'vendor/leaflet/leaflet.js'],
	['leaflet', 'dist/leaflet.css', 'vendor/leaflet/leaflet.css'],
	['leaflet', 'dist/images', 'vendor/leaflet/images'],
	['mqtt', 'LICENSE.md', 'vendor/LICENSE.mqtt.md'],
	['leaflet', 'LICENSE', 'vendor/LICENSE.leaflet.txt'],
];

if (existsSync(out))
	rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
cpSync(join(here, 'src'), out, { recursive: true });
const versions = {};
for (const [pkg, from, to] of vendor) {
	const dir = pkgDir(pkg);
	const src = join(dir, from);
	if (!existsSync(src)) {
		console.error(`build: ${pkg} has no ${from}`);
		process.exit(1);
	}
	mkdirSync(dirname(join(out, to)), { recursive: true });
	cpSync(src, join(out, to), { recursive: true });
	versions[pkg] = require(`${pkg}/package.json`).version;
}
writeFileSync(join(out, 'vendor/VERSIONS.json'), JSON.stringify(versions, null, 2) + '\n');

let files = 0;
(function count(d) {
	for (const f of readdirSync(d)) {
		const p = join(d, f);
		if (statSync(p).isDirectory())
			count(p);
		else
			files++;
	}
})(out);
console.log(`build: ${files} files in ${out} (mqtt ${versions.mqtt}, leaflet ${versions.leaflet})`);
