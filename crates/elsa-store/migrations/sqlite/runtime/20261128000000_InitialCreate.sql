CREATE TABLE "Elsa_WorkflowInstances" (
    id                          TEXT        NOT NULL PRIMARY KEY,
    definition_id               TEXT        NOT NULL,
    definition_version_id       TEXT        NOT NULL,
    definition_version          INTEGER     NOT NULL,
    parent_workflow_instance_id TEXT        NULL,
    status                      TEXT        NOT NULL,
    sub_status                  TEXT        NOT NULL,
    correlation_id              TEXT        NULL,
    name                        TEXT        NULL,
    incident_count              INTEGER     NOT NULL DEFAULT 0,
    is_system                   INTEGER     NOT NULL DEFAULT 0,
    is_executing                INTEGER     NOT NULL DEFAULT 0,
    created_at                  TEXT        NOT NULL,
    updated_at                  TEXT        NOT NULL,
    finished_at                 TEXT        NULL,
    -- Compare-and-swap guard: every write checks and increments it.
    version                     INTEGER     NOT NULL,
    data                        TEXT        NOT NULL
);
CREATE INDEX "IX_WorkflowInstances_CreatedAt" ON "Elsa_WorkflowInstances" (created_at);
CREATE INDEX "IX_WorkflowInstances_DefinitionId" ON "Elsa_WorkflowInstances" (definition_id);
CREATE INDEX "IX_WorkflowInstances_Status" ON "Elsa_WorkflowInstances" (status, sub_status);
CREATE INDEX "IX_WorkflowInstances_CorrelationId" ON "Elsa_WorkflowInstances" (correlation_id);

CREATE TABLE "Elsa_Bookmarks" (
    id                   TEXT        NOT NULL PRIMARY KEY,
    workflow_instance_id TEXT        NOT NULL,
    correlation_id       TEXT        NULL,
    name                 TEXT        NOT NULL,
    hash                 TEXT        NOT NULL,
    activity_id          TEXT        NOT NULL,
    activity_node_id     TEXT        NOT NULL,
    activity_instance_id TEXT        NOT NULL,
    created_at           TEXT        NOT NULL,
    data                 TEXT        NOT NULL
);
CREATE INDEX "IX_Bookmarks_WorkflowInstanceId" ON "Elsa_Bookmarks" (workflow_instance_id);
CREATE INDEX "IX_Bookmarks_Name_Hash" ON "Elsa_Bookmarks" (name, hash);

CREATE TABLE "Elsa_ActivityExecutionRecords" (
    id                   TEXT        NOT NULL PRIMARY KEY,
    workflow_instance_id TEXT        NOT NULL,
    activity_id          TEXT        NOT NULL,
    activity_node_id     TEXT        NOT NULL,
    activity_type        TEXT        NOT NULL,
    activity_name        TEXT        NULL,
    status               TEXT        NOT NULL,
    has_bookmarks        INTEGER     NOT NULL DEFAULT 0,
    started_at           TEXT        NOT NULL,
    completed_at         TEXT        NULL,
    data                 TEXT        NOT NULL
);
CREATE INDEX "IX_ActivityExecutionRecords_Instance" ON "Elsa_ActivityExecutionRecords" (workflow_instance_id, started_at);

CREATE TABLE "Elsa_WorkflowExecutionLogRecords" (
    id                   TEXT        NOT NULL PRIMARY KEY,
    workflow_instance_id TEXT        NOT NULL,
    sequence             INTEGER     NOT NULL,
    "timestamp"          TEXT        NOT NULL,
    activity_id          TEXT        NOT NULL,
    activity_node_id     TEXT        NOT NULL,
    activity_type        TEXT        NOT NULL,
    event_name           TEXT        NULL,
    data                 TEXT        NOT NULL,
    CONSTRAINT "UX_WorkflowExecutionLogRecords_Sequence" UNIQUE (workflow_instance_id, sequence)
);
