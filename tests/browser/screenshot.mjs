// The README's picture of the sign-in page: the real server and Chromium, at 1280×800.
//   node tests/browser/screenshot.mjs [out.png]     (ELSA_SERVER_BIN, ELSA_STUDIO_DIR as in the suite)
// Writes docs/images/sign-in.png unless told otherwise.
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
    // The logo comes from the Studio package; wait until it is drawn.
    await page.waitForFunction(() => [...document.images].every((image) => image.complete));
    await page.screenshot({ path: out, animations: 'disabled' });
    console.log(`wrote ${out}`);
} finally {
    await browser.close();
    await server.stop();
}
