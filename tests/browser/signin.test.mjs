// The sign-in page of the shell, in headless Chromium against the real server: that it looks
// like the Studio (fields with borders, the primary button), says what went wrong in place,
// and works from the keyboard alone. Run by scripts/browser.sh, after studio.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createWorkflowButton, launchBrowser, startServer } from './harness.mjs';

/** MudBlazor's default primary colour, #594AE2. */
const PRIMARY = 'rgb(89, 74, 226)';
const STUDIO_TIMEOUT = 60_000;

let server;
before(async () => {
    server = await startServer();
});
after(async () => {
    await server?.stop();
});

/** A fresh browser (no stored session) on the sign-in page. */
async function signInPage(t, target = server) {
    const browser = await launchBrowser();
    t.after(() => browser.close());
    const { page } = browser;
    await page.goto(`${target.ui}/`);
    await page.locator('#shell-login').waitFor({ state: 'visible' });
    return page;
}

/** `rgb(…)`/`rgba(…)` → [r, g, b, a]. */
function rgba(css) {
    const [r, g, b, a = 1] = css.match(/[\d.]+/g).map(Number);
    return [r, g, b, a];
}

const focusedId = (page) => page.evaluate(() => document.activeElement?.id);
const errorLine = (page) => page.locator('#shell-login-error');

test('the fields have visible borders and labels, and Sign in is a primary button', async (t) => {
    const page = await signInPage(t);
    for (const [name, label, autocomplete] of [
        ['username', 'Username', 'username'],
        ['password', 'Password', 'current-password'],
    ]) {
        const input = page.locator(`#shell-login input[name=${name}]`);
        const look = await input.evaluate((element) => {
            const style = getComputedStyle(element);
            const card = getComputedStyle(element.closest('.signin-card'));
            return {
                width: parseFloat(style.borderTopWidth),
                border: style.borderTopColor,
                background: style.backgroundColor,
                card: card.backgroundColor,
                labels: [...element.labels].map((l) => l.textContent.trim()),
            };
        });
        assert.ok(look.width > 0, `${name}: border width ${look.width}`);
        assert.ok(rgba(look.border)[3] > 0, `${name}: border colour ${look.border} is transparent`);
        assert.notEqual(look.border, look.background, `${name}: the border is the colour of the field`);
        assert.notEqual(look.border, look.card, `${name}: the border is the colour of the card`);
        assert.deepEqual(look.labels, [label], `${name}: its <label for>`);
        assert.equal(await input.getAttribute('autocomplete'), autocomplete);
        assert.ok(await page.getByLabel(label, { exact: true }).isVisible(), `${label}: not found by its label`);
    }

    const button = page.getByRole('button', { name: 'Sign in', exact: true });
    const look = await button.evaluate((element) => ({
        tag: element.tagName,
        type: element.type,
        background: getComputedStyle(element).backgroundColor,
        shadow: getComputedStyle(element).boxShadow,
    }));
    assert.equal(look.tag, 'BUTTON');
    assert.equal(look.type, 'submit');
    assert.equal(look.background, PRIMARY);
    assert.notEqual(look.shadow, 'none', 'the button has no elevation');
});

test('keyboard: focus starts on the username; Tab goes to the password, Sign in, the API key switch', async (t) => {
    const page = await signInPage(t);
    assert.equal(await focusedId(page), 'signin-username');
    const username = page.locator('#signin-username');
    assert.equal(await username.evaluate((element) => getComputedStyle(element).borderTopColor), PRIMARY,
        'the focused field is not outlined in the primary colour');

    const order = [];
    for (let i = 0; i < 3; i++) {
        await page.keyboard.press('Tab');
        order.push(await page.evaluate(() => {
            const element = document.activeElement;
            return element.id || element.textContent.trim();
        }));
    }
    assert.deepEqual(order, ['signin-password', 'Sign in', 'shell-apikey']);
    const ring = await page.locator('#shell-apikey').evaluate((element) => getComputedStyle(element).outlineStyle);
    assert.notEqual(ring, 'none', 'the focused API key switch shows no focus ring');

    // Enter submits from the username field too: the form asks for the missing password.
    await username.focus();
    await page.keyboard.type('admin');
    await page.keyboard.press('Enter');
    await assert.doesNotReject(errorLine(page).getByText('Enter your password.').waitFor());
    assert.equal(await focusedId(page), 'signin-password');
    assert.equal(await page.locator('#signin-password').getAttribute('aria-invalid'), 'true');
});

test('a wrong password: the error shows under the form, the fields are marked, one request only', async (t) => {
    const page = await signInPage(t);
    const logins = [];
    page.on('request', (request) => {
        if (request.url().endsWith('/elsa/api/identity/login')) logins.push(request);
    });
    await page.getByLabel('Username', { exact: true }).fill(server.admin.username);
    await page.getByLabel('Password', { exact: true }).fill(`${server.admin.password}-wrong`);

    // Two submissions back to back: the second finds the button busy and is dropped.
    const busy = await page.evaluate(() => {
        const form = document.getElementById('shell-login');
        form.requestSubmit();
        const button = form.querySelector('button[type=submit]');
        const state = { disabled: button.disabled, busy: form.getAttribute('aria-busy'), label: button.textContent.trim() };
        form.requestSubmit();
        return state;
    });
    assert.deepEqual(busy, { disabled: true, busy: 'true', label: 'Signing in…' });

    await errorLine(page).getByText('Wrong username or password.').waitFor();
    assert.equal(logins.length, 1, `${logins.length} sign-in requests`);
    assert.equal(await errorLine(page).getAttribute('aria-live'), 'assertive');
    assert.ok(await errorLine(page).isVisible());
    for (const id of ['signin-username', 'signin-password']) {
        assert.equal(await page.locator(`#${id}`).getAttribute('aria-invalid'), 'true', id);
    }
    assert.equal(await focusedId(page), 'signin-password');
    assert.equal(await page.locator('#shell-login button[type=submit]').isEnabled(), true);
    // Still on the sign-in page, signed out.
    assert.ok(await page.locator('#shell-signin').isVisible());
    assert.equal(await page.locator('#shell-bar').isVisible(), false);
    assert.equal(await page.evaluate(() => localStorage.getItem('elsa-studio-session')), null);

    // Correcting a field takes its mark away.
    await page.keyboard.type('x');
    assert.equal(await page.locator('#signin-password').getAttribute('aria-invalid'), null);
});

test('a locked-out user name: the server\'s message with its wait', async (t) => {
    const strict = await startServer({ Elsa__Identity__Lockout__MaxFailuresPerUser: '1' });
    t.after(() => strict.stop());
    const page = await signInPage(t, strict);
    await page.getByLabel('Username', { exact: true }).fill(strict.admin.username);
    await page.getByLabel('Password', { exact: true }).fill('not the password');
    await page.keyboard.press('Enter');
    await errorLine(page).getByText('Wrong username or password.').waitFor();

    const locked = page.waitForResponse((r) => r.url().endsWith('/elsa/api/identity/login'));
    await page.keyboard.press('Enter');
    const response = await locked;
    assert.equal(response.status(), 429);
    const wait = response.headers()['retry-after'];
    assert.match(wait, /^\d+$/);
    await errorLine(page).getByText(/^Too many failed sign-in attempts/).waitFor();
    assert.match(await errorLine(page).textContent(), new RegExp(`try again in ${wait} s\\.$`));
    assert.ok(await page.locator('#shell-signin').isVisible());
});

test('keyboard only: username, Tab, password, Enter reaches the Studio', async (t) => {
    const page = await signInPage(t);
    assert.equal(await focusedId(page), 'signin-username');
    await page.keyboard.type(server.admin.username);
    await page.keyboard.press('Tab');
    await page.keyboard.type(server.admin.password);
    await page.keyboard.press('Enter');
    await page.locator('#shell-bar').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#shell-signin').isVisible(), false);
    assert.equal(await page.locator('#shell-identity').textContent(), server.admin.username);
    await createWorkflowButton(page).waitFor({ state: 'visible', timeout: STUDIO_TIMEOUT });
});

test('keyboard only: the API key switch, a wrong key, then the right one', async (t) => {
    const page = await signInPage(t);
    for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
    assert.equal(await focusedId(page), 'shell-apikey');
    await page.keyboard.press('Enter');
    assert.equal(await focusedId(page), 'signin-apikey', 'the switch does not move to the API key field');
    assert.equal(await page.locator('#signin-username').isVisible(), false);
    const key = page.getByLabel('API key', { exact: true });
    assert.equal(await key.evaluate((element) => parseFloat(getComputedStyle(element).borderTopWidth) > 0), true);

    await page.keyboard.type('not-the-key');
    await page.keyboard.press('Enter');
    await errorLine(page).getByText('The API key was not accepted.').waitFor();
    assert.equal(await key.getAttribute('aria-invalid'), 'true');
    assert.equal(await focusedId(page), 'signin-apikey');

    // The error selected the wrong key: typing replaces it.
    await page.keyboard.type(server.apiKey);
    await page.keyboard.press('Enter');
    await page.locator('#shell-bar').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#shell-identity').textContent(), 'API key');
    await createWorkflowButton(page).waitFor({ state: 'visible', timeout: STUDIO_TIMEOUT });
});
