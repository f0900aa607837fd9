// The host shell for Elsa Studio's custom elements: sign-in, navigation, and credentials.
//
// The elements take the backend from attributes only (`remote-endpoint`, `api-key`,
// `access-token`) and copy them into one shared service when an element is created, never
// later, and every element is created only after its tag is defined: a callback assigned to an
// element before the Blazor runtime upgrades it is silently dropped.
//
// The page holds exactly one Studio element at a time, and changing views loads the page
// afresh: each element is its own Blazor root with its own MudBlazor providers, and a root is
// disposed only about a second after it leaves the page, so two roots side by side (the old
// view and the new one, or an `elsa-backend-provider` beside a view) crash the Studio with
// "There is already a subscriber to the content with the given section ID
// 'mud-overlay-to-popover-provider'". A refreshed token reaches the Studio the same way: the
// page reloads and the new element is created with it.
'use strict';

(() => {
    const STORAGE_KEY = 'elsa-studio-session';
    /** Refresh this long before the access token expires (what Elsa Studio itself does). */
    const REFRESH_MARGIN_MS = 2 * 60 * 1000;

    const bar = document.getElementById('shell-bar');
    const signinPage = document.getElementById('shell-signin');
    const form = document.getElementById('shell-login');
    const loginError = document.getElementById('shell-login-error');
    const submitButton = form.querySelector('button[type=submit]');
    const modeSwitch = document.getElementById('shell-apikey');
    const view = document.getElementById('shell-view');
    const identity = document.getElementById('shell-identity');

    /**
     * { server, apiKey } or { server, accessToken, refreshToken, user }; `server` is the API
     * origin (this page's origin unless the user chose another server).
     */
    let session = readSession();
    let refreshTimer = null;

    function readSession() {
        try {
            return JSON.parse(localStorage.getItem(STORAGE_KEY)) || null;
        } catch {
            return null;
        }
    }

    function saveSession(next) {
        session = next;
        if (next) localStorage.setItem(STORAGE_KEY, JSON.stringify(next));
        else localStorage.removeItem(STORAGE_KEY);
    }

    /** `remote-endpoint` must be absolute: .NET reads a relative one as a file path. */
    function apiBase(server) {
        return new URL('/elsa/api', server).href;
    }

    function tokenClaims(token) {
        try {
            const payload = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
            return JSON.parse(atob(payload));
        } catch {
            return {};
        }
    }

    function backendAttributes() {
        const attributes = { 'remote-endpoint': apiBase(session.server) };
        if (session.apiKey) attributes['api-key'] = session.apiKey;
        else attributes['access-token'] = session.accessToken;
        return attributes;
    }

    async function createElement(tag, attributes = {}, properties = {}) {
        await customElements.whenDefined(tag);
        const element = document.createElement(tag);
        for (const [name, value] of Object.entries({ ...backendAttributes(), ...attributes })) {
            element.setAttribute(name, value);
        }
        Object.assign(element, properties);
        return element;
    }

    // --- Sign-in ---------------------------------------------------------------------------

    /** A sign-in failure to show under the form; `fields` are the inputs it is about. */
    class SignInError extends Error {
        constructor(message, fields = []) {
            super(message);
            this.fields = fields;
        }
    }

    const MISSING = {
        username: 'Enter your username.',
        password: 'Enter your password.',
        apiKey: 'Enter an API key.',
    };

    /** With an API key instead of a user name and password. */
    let apiKeyMode = false;

    function credentialFields() {
        const { username, password, apiKey } = form.elements;
        return apiKeyMode ? [apiKey] : [username, password];
    }

    function setMode(useApiKey) {
        apiKeyMode = useApiKey;
        for (const group of form.querySelectorAll('.signin-credentials')) {
            group.hidden = (group.dataset.mode === 'apiKey') !== useApiKey;
        }
        modeSwitch.textContent = useApiKey ? 'Use a username and password instead' : 'Use an API key instead';
        showError(null);
        credentialFields()[0].focus();
    }

    /**
     * Fills the error line (a live region: screen readers read it out) and marks the fields it
     * is about; focus goes to the field to fix, the last one named (the password, after wrong
     * credentials), with its text selected so that typing replaces it.
     */
    function showError(error) {
        for (const input of form.querySelectorAll('[aria-invalid]')) input.removeAttribute('aria-invalid');
        loginError.textContent = error ? error.message : '';
        const fields = error?.fields ?? [];
        for (const input of fields) input.setAttribute('aria-invalid', 'true');
        if (fields.length) {
            fields[fields.length - 1].focus();
            fields[fields.length - 1].select();
        }
    }

    function setBusy(busy) {
        form.setAttribute('aria-busy', String(busy));
        submitButton.disabled = busy;
        submitButton.querySelector('.signin-submit-label').textContent = busy ? 'Signing in…' : 'Sign in';
    }

    async function signIn(event) {
        event.preventDefault();
        // One request at a time: the disabled button stops clicks and Enter, this the rest
        // (a script's requestSubmit).
        if (submitButton.disabled) return;
        const data = new FormData(form);
        const server = (data.get('server') || '').trim() || location.origin;
        const empty = credentialFields().find((input) => !input.value.trim());
        if (empty) {
            showError(new SignInError(MISSING[empty.name], [empty]));
            return;
        }
        showError(null);
        setBusy(true);
        try {
            if (apiKeyMode) {
                const apiKey = data.get('apiKey').trim();
                await checkApiKey(server, apiKey);
                saveSession({ server, apiKey });
            } else {
                const tokens = await post(server, '/identity/login', {
                    username: data.get('username').trim(),
                    password: data.get('password'),
                });
                if (!tokens.isAuthenticated) throw new SignInError('Wrong username or password.', credentialFields());
                saveSession({ server, ...tokenSession(tokens) });
            }
        } catch (error) {
            showError(error);
            return;
        } finally {
            setBusy(false);
        }
        form.reset();
        await start();
    }

    function tokenSession(tokens) {
        const claims = tokenClaims(tokens.accessToken);
        return {
            accessToken: tokens.accessToken,
            refreshToken: tokens.refreshToken,
            user: claims.name || claims.sub || '',
        };
    }

    async function post(server, path, body, bearer) {
        const headers = { 'Content-Type': 'application/json' };
        if (bearer) headers.Authorization = `Bearer ${bearer}`;
        let response;
        try {
            response = await fetch(apiBase(server) + path, {
                method: 'POST',
                headers,
                body: body === undefined ? undefined : JSON.stringify(body),
            });
        } catch {
            throw new SignInError(`Cannot reach the server at ${server}.`);
        }
        if (response.status === 404) {
            throw new SignInError('This server has no sign-in endpoint; use an API key.');
        }
        if (response.status === 401) throw new SignInError('Your session has expired; sign in again.');
        if (response.status === 429) throw new SignInError(await lockoutMessage(response));
        if (!response.ok) {
            const detail = await problemDetail(response);
            throw new SignInError(detail ? sentence(detail) : `Sign-in failed (HTTP ${response.status}).`);
        }
        return response.json();
    }

    /** The message of a problem+json answer (ours and Elsa's), or ''. */
    async function problemDetail(response) {
        try {
            const problem = await response.json();
            return problem.detail || problem.errors?.generalErrors?.[0] || '';
        } catch {
            return '';
        }
    }

    function sentence(text) {
        const capitalised = text.charAt(0).toUpperCase() + text.slice(1);
        return /[.!?]$/.test(capitalised) ? capitalised : `${capitalised}.`;
    }

    /**
     * Locked out after failed sign-ins. Our server's message already names the wait; another
     * server's may not, and then Retry-After (readable across origins only when exposed) does.
     */
    async function lockoutMessage(response) {
        const wait = Number(response.headers.get('Retry-After'));
        const retry = wait > 0 ? ` Try again in ${wait}\u00a0s.` : '';
        const detail = await problemDetail(response);
        if (!detail) return `Too many failed sign-ins.${retry}`;
        return sentence(detail) + (/try again/i.test(detail) ? '' : retry);
    }

    async function checkApiKey(server, apiKey) {
        let response;
        try {
            response = await fetch(`${apiBase(server)}/workflow-definitions?Page=0&PageSize=1`, {
                headers: { Authorization: `ApiKey ${apiKey}` },
            });
        } catch {
            throw new SignInError(`Cannot reach the server at ${server}.`);
        }
        if (response.status === 401 || response.status === 403) {
            throw new SignInError('The API key was not accepted.', credentialFields());
        }
        if (response.status === 429) throw new SignInError(await lockoutMessage(response));
        if (!response.ok) throw new SignInError(`The server answered HTTP ${response.status}.`);
    }

    // --- Token refresh ---------------------------------------------------------------------

    function scheduleRefresh() {
        clearTimeout(refreshTimer);
        if (!session || session.apiKey) return;
        const expires = (tokenClaims(session.accessToken).exp || 0) * 1000;
        const delay = Math.max(expires - REFRESH_MARGIN_MS - Date.now(), 0);
        refreshTimer = setTimeout(refreshAndReload, delay);
    }

    async function refresh() {
        try {
            const tokens = await post(session.server, '/identity/refresh-token', undefined, session.refreshToken);
            if (!tokens.accessToken) throw new Error('Your session has expired; sign in again.');
            saveSession({ server: session.server, ...tokenSession(tokens) });
        } catch (error) {
            signOut(error.message);
            return false;
        }
        scheduleRefresh();
        return true;
    }

    /** Refreshes the token, then reloads so the view is re-created with it (see the top). */
    async function refreshAndReload() {
        if (await refresh()) location.reload();
    }

    function signOut(message) {
        saveSession(null);
        clearTimeout(refreshTimer);
        // The elements keep the last credentials they were given; only a fresh page forgets them.
        if (message) sessionStorage.setItem('elsa-studio-signout', message);
        location.hash = '';
        location.reload();
    }

    // --- Views -----------------------------------------------------------------------------

    const navigate = (hash) => {
        location.hash = hash;
    };

    /** `#/section/id` → element to show. */
    function viewFor(section, id) {
        switch (section) {
            case 'instances':
                return id
                    ? ['elsa-workflow-instance-viewer', { 'instance-id': id }, {
                        editWorkflowDefinition: (definitionId) => navigate(`#/definitions/${encodeURIComponent(definitionId)}`),
                    }]
                    : ['elsa-workflow-instance-list', {}, {
                        viewWorkflowInstance: (instanceId) => navigate(`#/instances/${encodeURIComponent(instanceId)}`),
                    }];
            default:
                return id
                    ? ['elsa-workflow-definition-editor', { 'definition-id': id }, {}]
                    : ['elsa-workflow-definition-list', {}, {
                        editWorkflowDefinition: (definitionId) => navigate(`#/definitions/${encodeURIComponent(definitionId)}`),
                    }];
        }
    }

    async function show() {
        if (!session) return;
        const [section = 'definitions', id] = location.hash.replace(/^#\/?/, '').split('/');
        for (const link of bar.querySelectorAll('a[data-section]')) {
            if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
            else link.removeAttribute('aria-current');
        }
        const [tag, attributes, properties] = viewFor(section, id && decodeURIComponent(id));
        if (!customElements.get(tag)) {
            view.replaceChildren(Object.assign(document.createElement('p'), {
                className: 'shell-loading',
                textContent: 'Loading the Studio…',
            }));
        }
        const element = await createElement(tag, attributes, properties);
        view.replaceChildren(element);
    }

    async function start() {
        signinPage.hidden = true;
        bar.hidden = false;
        identity.textContent = session.apiKey ? 'API key' : session.user;
        if (!session.apiKey && (tokenClaims(session.accessToken).exp || 0) * 1000 - REFRESH_MARGIN_MS < Date.now()) {
            if (!(await refresh())) return;
        } else {
            scheduleRefresh();
        }
        if (!location.hash) history.replaceState(null, '', '#/definitions');
        await show();
    }

    // A new view is a new page (see the top): never two Studio roots at once.
    window.addEventListener('hashchange', () => location.reload());
    form.addEventListener('submit', signIn);
    // A field being corrected is no longer marked wrong.
    form.addEventListener('input', (event) => event.target.removeAttribute('aria-invalid'));
    modeSwitch.addEventListener('click', () => setMode(!apiKeyMode));
    document.getElementById('shell-logout').addEventListener('click', () => signOut());

    if (session) {
        start();
    } else {
        form.elements.server.value = location.origin;
        loginError.textContent = sessionStorage.getItem('elsa-studio-signout') || '';
        sessionStorage.removeItem('elsa-studio-signout');
        signinPage.hidden = false;
        // `autofocus` cannot do this: the page was hidden when the document loaded.
        form.elements.username.focus();
    }
})();
