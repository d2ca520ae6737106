import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type BrowserContext, chromium } from 'playwright-core';

/** Debian's chromium (installed by .ci/run when missing). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The launch flags DESIGN.md gives for headless Debian chromium. */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const appRoot = fileURLToPath(new URL('../../..', import.meta.url));

/**
 * Builds the page with Vite into a fresh temporary folder (a child process, as `pnpm build`
 * would) and returns the folder.
 *
 * @throws Error with Vite's output when the build fails.
 */
export async function buildPage(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'odekit-page-'));
  const vite = join(appRoot, 'node_modules', 'vite', 'bin', 'vite.js');
  try {
    await promisify(execFile)(
      process.execPath,
      [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
      {
        cwd: appRoot,
        maxBuffer: 16 << 20,
      },
    );
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`vite build failed: ${err.message}\n${err.stdout ?? ''}\n${err.stderr ?? ''}`);
  }
  return outDir;
}

/** A headless Chromium on a fresh profile folder; `close` removes the folder. */
export async function launchChromium(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH.`,
    );
  }
  const profile = mkdtempSync(join(tmpdir(), 'odekit-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_FLAGS,
    acceptDownloads: true,
    viewport: { width: 1440, height: 1000 },
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
