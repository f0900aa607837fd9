CREATE TABLE "Elsa_WorkflowDefinitions" (
    id                TEXT        NOT NULL PRIMARY KEY,
    definition_id     TEXT        NOT NULL,
    version           INTEGER     NOT NULL,
    name              TEXT        NULL,
    description       TEXT        NULL,
    is_latest         INTEGER     NOT NULL,
    is_published      INTEGER     NOT NULL,
    is_readonly       INTEGER     NOT NULL DEFAULT 0,
    is_system         INTEGER     NOT NULL DEFAULT 0,
    tool_version      TEXT        NULL,
    materializer_name TEXT        NOT NULL DEFAULT 'Json',
    created_at        TEXT        NOT NULL,
    data              TEXT        NOT NULL,
    CONSTRAINT "UX_WorkflowDefinitions_DefinitionId_Version" UNIQUE (definition_id, version)
);
CREATE INDEX "IX_WorkflowDefinitions_Name" ON "Elsa_WorkflowDefinitions" (name);
CREATE UNIQUE INDEX "UX_WorkflowDefinitions_Latest" ON "Elsa_WorkflowDefinitions" (definition_id) WHERE is_latest = 1;
CREATE UNIQUE INDEX "UX_WorkflowDefinitions_Published" ON "Elsa_WorkflowDefinitions" (definition_id) WHERE is_published = 1;

-- API keys: only a SHA-256 hash is stored, never the key.
CREATE TABLE "Elsa_ApiKeys" (
    id         TEXT        NOT NULL PRIMARY KEY,
    name       TEXT        NOT NULL,
    key_hash   TEXT        NOT NULL,
    created_at TEXT        NOT NULL
);
