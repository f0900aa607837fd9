// The README's picture of the sign-in page: the real server and Chromium, at 1280×800.
//   node tests/browser/screenshot.mjs [out.png]     (ELSA_SERVER_BIN, ELSA_STUDIO_DIR as in the suite)
// Writes docs/images/sign-in.png unless told otherwise, through pngquant when it is installed
// (apt-get install pngquant): the page's gradients make Chromium's PNG four times as large.
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { launchBrowser, startServer } from './harness.mjs';

const out = resolve(process.argv[2] || resolve(import.meta.dirname, '..', '..', 'docs', 'images', 'sign-in.png'));

const server = await startServer();
const browser = await launchBrowser();
try {
    const { page } = browser;
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.goto(`${server.ui}/`);
    await page.locator('#shell-login').waitFor({ state: 'visible' });
    // The logo and the Roboto font come from the Studio package; wait until they are drawn.
    await page.waitForFunction(() => [...document.images].every((image) => image.complete));
    await page.evaluate(() => document.fonts.ready);
    await page.screenshot({ path: out, animations: 'disabled' });
    const quantized = spawnSync('pngquant', ['--quality', '80-95', '--speed', '1', '--strip', '--force', '--output', out, out]);
    if (quantized.error) console.log(`pngquant: ${quantized.error.code}; the PNG is left as Chromium wrote it`);
    else if (quantized.status !== 0) throw new Error(`pngquant failed: ${quantized.stderr}`);
    console.log(`wrote ${out}`);
} finally {
    await browser.close();
    await server.stop();
}
