// Runs the real elsa-server and a headless Chromium for the browser suite.
//
// The browser reaches 127.0.0.1 only (Chromium's host resolver maps every other name to
// "not found"), so the Studio can never fetch anything from outside. Requests are not
// intercepted: Playwright would answer CORS preflights itself and hide what the server does.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';

const REPO = resolve(import.meta.dirname, '..', '..');
export const SERVER_BIN = process.env.ELSA_SERVER_BIN || join(REPO, 'target', 'debug', 'elsa-server');
export const STUDIO_DIR = process.env.ELSA_STUDIO_DIR || join(REPO, 'target', 'studio', '3.8.2');
export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const ARTIFACTS = process.env.ELSA_BROWSER_ARTIFACTS || join(REPO, 'target', 'browser-artifacts');

const secret = () => randomBytes(24).toString('hex');

/** A free port on 127.0.0.1 (the server needs fixed ports to allow one of them as a CORS origin). */
async function freePort() {
    return new Promise((ok, fail) => {
        const probe = createServer();
        probe.once('error', fail);
        probe.listen(0, '127.0.0.1', () => {
            const { port } = probe.address();
            probe.close(() => ok(port));
        });
    });
}

/**
 * Starts elsa-server on two ports of 127.0.0.1 (the second is the "other origin" of the
 * cross-origin run, whose CORS list allows only the first), with a fresh SQLite database;
 * `settings` are further environment variables (configuration keys) for it.
 */
export async function startServer(settings = {}) {
    const dir = mkdtempSync(join(tmpdir(), 'elsa-browser-'));
    const [uiPort, apiPort] = [await freePort(), await freePort()];
    const apiKey = secret();
    const adminPassword = secret();
    const child = spawn(SERVER_BIN, [], {
        cwd: dir,
        env: {
            PATH: process.env.PATH,
            ASPNETCORE_URLS: `http://127.0.0.1:${uiPort};http://127.0.0.1:${apiPort}`,
            Elsa__Identity__ApiKey: apiKey,
            Elsa__Identity__AdminPassword: adminPassword,
            Elsa__Identity__Tokens__SigningKey: secret() + secret(),
            Elsa__Studio__Path: STUDIO_DIR,
            Elsa__Cors__AllowedOrigins: `http://127.0.0.1:${uiPort}`,
            ...settings,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout.on('data', (d) => { log += d; });
    child.stderr.on('data', (d) => { log += d; });
    await new Promise((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`elsa-server did not start:\n${log}`)), 60_000);
        const check = () => {
            if (log.includes('Application started')) {
                clearTimeout(timer);
                ok();
            }
        };
        child.stderr.on('data', check);
        child.once('exit', (code) => {
            clearTimeout(timer);
            fail(new Error(`elsa-server exited with ${code}:\n${log}`));
        });
    });
    const server = {
        ui: `http://127.0.0.1:${uiPort}`,
        other: `http://127.0.0.1:${apiPort}`,
        apiKey,
        admin: { username: 'admin', password: adminPassword },
        log: () => log,
        async stop() {
            child.kill('SIGTERM');
            await new Promise((ok) => (child.exitCode !== null ? ok() : child.once('exit', ok)));
            rmSync(dir, { recursive: true, force: true });
        },
        /** A call to the API with the API key, as a test's independent view of the server. */
        async api(path, init = {}) {
            const response = await fetch(`${server.ui}/elsa/api${path}`, {
                ...init,
                headers: { Authorization: `ApiKey ${apiKey}`, 'Content-Type': 'application/json', ...init.headers },
            });
            const text = await response.text();
            let body = null;
            try { body = JSON.parse(text); } catch { body = text; }
            return { status: response.status, headers: response.headers, body };
        },
    };
    return server;
}

/** A Chromium with a fresh profile, reaching 127.0.0.1 only. */
export async function launchBrowser() {
    const profile = mkdtempSync(join(tmpdir(), 'elsa-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
        executablePath: CHROMIUM,
        headless: true,
        viewport: { width: 1400, height: 900 },
        args: ['--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1', '--no-first-run'],
    });
    return {
        context,
        page: context.pages()[0] || (await context.newPage()),
        async close() {
            await context.close();
            rmSync(profile, { recursive: true, force: true });
        },
    };
}

/**
 * Signs in through the shell's form: with the admin account when the server has a sign-in
 * endpoint, otherwise with the API key. Returns which one it used.
 */
export async function signIn(page, server, apiOrigin) {
    const probe = await fetch(`${apiOrigin}/elsa/api/identity/login`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(server.admin),
    });
    const withPassword = probe.ok && (await probe.json()).isAuthenticated === true;
    if (apiOrigin !== new URL(page.url()).origin) {
        await page.locator('#shell-server summary').click();
        await page.locator('input[name=server]').fill(apiOrigin);
    }
    if (withPassword) {
        await page.locator('input[name=username]').fill(server.admin.username);
        await page.locator('input[name=password]').fill(server.admin.password);
    } else {
        await page.locator('#shell-apikey').click();
        await page.locator('input[name=apiKey]').fill(server.apiKey);
    }
    await page.locator('#shell-login button[type=submit]').click();
    return withPassword ? 'password' : `API key (POST /identity/login answered ${probe.status})`;
}

/** The definition list is usable: its Create button is there and enabled. */
export function createWorkflowButton(page) {
    return page.locator('elsa-workflow-definition-list').getByRole('button', { name: /create workflow/i });
}
