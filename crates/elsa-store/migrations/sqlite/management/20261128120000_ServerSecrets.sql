-- Secrets the server generates once per database and every node shares, e.g. the key that
-- signs bookmark-resume and event-trigger tokens.
CREATE TABLE "Elsa_ServerSecrets" (
    name  TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL
);
