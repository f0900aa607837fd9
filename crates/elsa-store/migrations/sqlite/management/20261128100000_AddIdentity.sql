-- Elsa Identity: users, roles and applications. Secrets are stored the way Elsa's
-- DefaultSecretHasher writes them (base64 hash envelope + base64 salt), never in clear.
-- Role lists and permission lists are JSON arrays of strings.
CREATE TABLE "Elsa_Users" (
    id                   TEXT NOT NULL PRIMARY KEY,
    name                 TEXT NOT NULL,
    hashed_password      TEXT NOT NULL,
    hashed_password_salt TEXT NOT NULL,
    roles                TEXT  NOT NULL,
    tenant_id            TEXT NULL
);
CREATE UNIQUE INDEX "UX_Users_Name" ON "Elsa_Users" (name);

CREATE TABLE "Elsa_Roles" (
    id          TEXT NOT NULL PRIMARY KEY,
    name        TEXT NOT NULL,
    permissions TEXT  NOT NULL,
    tenant_id   TEXT NULL
);

CREATE TABLE "Elsa_Applications" (
    id                        TEXT NOT NULL PRIMARY KEY,
    client_id                 TEXT NOT NULL,
    name                      TEXT NOT NULL,
    hashed_client_secret      TEXT NOT NULL,
    hashed_client_secret_salt TEXT NOT NULL,
    hashed_api_key            TEXT NOT NULL,
    hashed_api_key_salt       TEXT NOT NULL,
    roles                     TEXT  NOT NULL,
    tenant_id                 TEXT NULL
);
CREATE UNIQUE INDEX "UX_Applications_ClientId" ON "Elsa_Applications" (client_id);
