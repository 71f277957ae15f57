// typedoc writes navigation links as given on every page, so the "Live demo" link would be
// root-absolute (/demo/index.html): broken on a host that serves the site under a sub-path
// (GitHub Pages' /sprout/) and from disk. This rewrites it relative to each page.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const site = join(dirname(fileURLToPath(import.meta.url)), '..', 'site');
const ABSOLUTE = 'href="/demo/index.html"';
let pages = 0;
for (const entry of readdirSync(site, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !entry.name.endsWith('.html')) continue;
  const file = join(entry.parentPath, entry.name);
  const html = readFileSync(file, 'utf8');
  if (!html.includes(ABSOLUTE)) continue;
  const toRoot = relative(dirname(file), site).split(sep).filter(Boolean);
  const href = [...toRoot, 'demo', 'index.html'].join('/');
  writeFileSync(file, html.replaceAll(ABSOLUTE, `href="${href}"`));
  pages++;
}
console.log(`relative-links: the demo link made relative on ${pages} pages`);
