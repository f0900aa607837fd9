CREATE TABLE "Elsa_WorkflowDefinitions" (
    id                TEXT        NOT NULL PRIMARY KEY,
    definition_id     TEXT        NOT NULL,
    version           INTEGER     NOT NULL,
    name              TEXT        NULL,
    description       TEXT        NULL,
    is_latest         BOOLEAN     NOT NULL,
    is_published      BOOLEAN     NOT NULL,
    is_readonly       BOOLEAN     NOT NULL DEFAULT FALSE,
    is_system         BOOLEAN     NOT NULL DEFAULT FALSE,
    tool_version      TEXT        NULL,
    materializer_name TEXT        NOT NULL DEFAULT 'Json',
    created_at        TIMESTAMPTZ NOT NULL,
    data              JSONB       NOT NULL,
    CONSTRAINT "UX_WorkflowDefinitions_DefinitionId_Version" UNIQUE (definition_id, version)
);
CREATE INDEX "IX_WorkflowDefinitions_Name" ON "Elsa_WorkflowDefinitions" (name);
CREATE UNIQUE INDEX "UX_WorkflowDefinitions_Latest" ON "Elsa_WorkflowDefinitions" (definition_id) WHERE is_latest;
CREATE UNIQUE INDEX "UX_WorkflowDefinitions_Published" ON "Elsa_WorkflowDefinitions" (definition_id) WHERE is_published;

-- API keys: only a SHA-256 hash is stored, never the key.
CREATE TABLE "Elsa_ApiKeys" (
    id         TEXT        NOT NULL PRIMARY KEY,
    name       TEXT        NOT NULL,
    key_hash   TEXT        NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
