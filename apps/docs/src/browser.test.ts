// Opens the built site in Debian's chromium (playwright-core): the home page, the site search
// for `diffeqsolve` → its API page, and the tutorial with its build-time figures. No console
// errors anywhere. Screenshots go to apps/docs/test-output/.
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, outputDir, serveSite } from './site.js';

const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(executablePath);

describe.skipIf(!hasChromium && !process.env.CI)('docs site in a browser', () => {
  let server: Server;
  let url: string;
  let context: BrowserContext;
  let profile: string;
  const errors: string[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    ({ server, url } = await serveSite());
    mkdirSync(outputDir, { recursive: true });
    profile = mkdtempSync(join(tmpdir(), 'odekit-docs-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context.on('page', (page) => watch(page));
  }, 600_000);

  afterAll(async () => {
    await context?.close();
    server?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  function watch(page: Page) {
    page.on('console', (msg) => {
      if (msg.type() === 'error') errors.push(`${page.url()}: ${msg.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() >= 400) errors.push(`${page.url()}: ${r.status()} for ${r.url()}`);
    });
    // a prefetch cancelled by the next navigation is not an error; anything else that fails is
    page.on('requestfailed', (r) => {
      if (r.failure()?.errorText !== 'net::ERR_ABORTED')
        errors.push(`${page.url()}: request failed ${r.url()} (${r.failure()?.errorText})`);
    });
  }

  async function open(path: string): Promise<Page> {
    const page = context.pages()[0] ?? (await context.newPage());
    if (!context.pages().includes(page)) watch(page);
    await page.goto(`${url}${path}`, { waitUntil: 'networkidle' });
    return page;
  }

  it('shows the home page', async () => {
    const page = await open('/');
    watch(page);
    await expect(page.locator('.VPHero .name').textContent()).resolves.toContain('odekit');
    await page.screenshot({ path: join(outputDir, 'home.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('finds diffeqsolve with the site search and opens its API page', async () => {
    const page = await open('/');
    await page.locator('.VPNavBarSearch button').first().click();
    const input = page.locator('.VPLocalSearchBox input');
    await input.fill('diffeqsolve');
    const result = page.locator('.VPLocalSearchBox .results a', { hasText: 'diffeqsolve' });
    await result.first().waitFor({ timeout: 20_000 });
    await page.screenshot({ path: join(outputDir, 'search.png') });
    // the function's own page among the results
    const hrefs = await result.evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    const target = hrefs.find((h) => h?.includes('/functions/diffeqsolve'));
    expect(target, `results: ${hrefs.join(', ')}`).toBeTruthy();
    await page.locator(`.VPLocalSearchBox .results a[href="${target}"]`).click();
    await page.waitForURL(/functions\/diffeqsolve/);
    // the URL changes before the client-side router has rendered the new page: wait for its heading
    const heading = page.locator('h1', { hasText: 'diffeqsolve' });
    await heading.first().waitFor({ timeout: 20_000 });
    await expect(heading.first().textContent()).resolves.toContain('diffeqsolve');
    expect(errors).toEqual([]);
  });

  it('opens the tutorial with its code, output and figures', async () => {
    const page = await open('/tutorial/');
    await expect(page.locator('h1').first().textContent()).resolves.toContain('Tutorial');
    // code of each step, and its output
    expect(await page.locator('div[class*="language-ts"]').count()).toBeGreaterThanOrEqual(5);
    await expect(page.locator('.vp-doc').textContent()).resolves.toMatch(/best: NN\(r, c\) ≈/);
    // the figures the build rendered, loaded and drawn
    const sizes = await page
      .locator('.vp-doc img')
      .evaluateAll((imgs) => imgs.map((i) => [(i as HTMLImageElement).src, (i as HTMLImageElement).naturalWidth]));
    expect(sizes.length).toBeGreaterThanOrEqual(5);
    for (const [src, width] of sizes) expect(width, String(src)).toBeGreaterThan(100);
    await page.screenshot({ path: join(outputDir, 'tutorial.png'), fullPage: true });
    // one step as a reader sees it: code, output, figure
    await page
      .locator('h2', { hasText: '2. The mechanistic model' })
      .evaluate((h) => window.scrollTo(0, (h as HTMLElement).offsetTop + 900));
    await page.screenshot({ path: join(outputDir, 'tutorial-step2.png') });
    await page.locator('#general-models').evaluate((h) => window.scrollTo(0, (h as HTMLElement).offsetTop + 1500));
    await page.screenshot({ path: join(outputDir, 'tutorial-step6.png') });
    expect(errors).toEqual([]);
  });
});
