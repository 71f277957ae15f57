import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

// The built site (pnpm build) must work from any sub-path and from disk: its links to the demo are
// relative to each page and land on the demo's index.html.
const site = join(dirname(fileURLToPath(import.meta.url)), 'site');

it.runIf(existsSync(join(site, 'index.html')))(
  'every page links the live demo relatively, and the link resolves',
  () => {
    const pages = readdirSync(site, { recursive: true, withFileTypes: true }).filter(
      (e) => e.isFile() && e.name.endsWith('.html') && !e.parentPath.includes(`${join(site, 'demo')}`),
    );
    expect(pages.length).toBeGreaterThan(100);
    let linked = 0;
    for (const page of pages) {
      const file = join(page.parentPath, page.name);
      const html = readFileSync(file, 'utf8');
      expect(html, file).not.toContain('href="/demo/');
      for (const [, href] of html.matchAll(/href="([^"]*demo\/index\.html)"/g)) {
        expect(existsSync(resolve(dirname(file), href)), `${file}: ${href}`).toBe(true);
        linked++;
      }
    }
    expect(linked).toBeGreaterThanOrEqual(pages.length);
  },
);
