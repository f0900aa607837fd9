-- A commit writes an instance's journal and activity execution records as one row each (a
-- segment), not one row per record, and the instance row keeps only the workflow state in
-- `data`: the summary fields live in the columns alone. Segments and states are JSON,
-- zstd-compressed when written by the server; the rows this migration converts stay plain
-- JSON (SQL cannot compress), and readers take either.

-- Journal: one segment per commit, keyed by the sequence of its first record.
CREATE TABLE "Elsa_WorkflowExecutionLogSegments" (
    workflow_instance_id TEXT    NOT NULL,
    first_sequence       INTEGER NOT NULL,
    record_count         INTEGER NOT NULL,
    data                 BLOB    NOT NULL,
    PRIMARY KEY (workflow_instance_id, first_sequence)
);
INSERT INTO "Elsa_WorkflowExecutionLogSegments"
SELECT workflow_instance_id, MIN(sequence), COUNT(*),
       CAST(json_group_array(json(data) ORDER BY sequence) AS BLOB)
FROM "Elsa_WorkflowExecutionLogRecords" GROUP BY workflow_instance_id;
DROP TABLE "Elsa_WorkflowExecutionLogRecords";
ALTER TABLE "Elsa_WorkflowExecutionLogSegments" RENAME TO "Elsa_WorkflowExecutionLogRecords";

-- Activity execution records: one segment per commit, keyed by the instance version the
-- commit wrote; a record updated by a later commit is in that commit's segment again, and
-- the latest copy wins. Converted records form segment 0.
CREATE TABLE "Elsa_ActivityExecutionRecordSegments" (
    workflow_instance_id TEXT    NOT NULL,
    version              INTEGER NOT NULL,
    data                 BLOB    NOT NULL,
    PRIMARY KEY (workflow_instance_id, version)
);
INSERT INTO "Elsa_ActivityExecutionRecordSegments"
SELECT workflow_instance_id, 0, CAST(json_group_array(json(data) ORDER BY started_at, id) AS BLOB)
FROM "Elsa_ActivityExecutionRecords" GROUP BY workflow_instance_id;

-- A record found by its id alone: the server's record ids start with their instance's id;
-- the others (converted here, or imported) are listed in this table.
CREATE TABLE "Elsa_ActivityExecutionRecordIds" (
    id                   TEXT NOT NULL PRIMARY KEY,
    workflow_instance_id TEXT NOT NULL
);
CREATE INDEX "IX_ActivityExecutionRecordIds_Instance" ON "Elsa_ActivityExecutionRecordIds" (workflow_instance_id);
INSERT INTO "Elsa_ActivityExecutionRecordIds" SELECT id, workflow_instance_id FROM "Elsa_ActivityExecutionRecords";
DROP TABLE "Elsa_ActivityExecutionRecords";
ALTER TABLE "Elsa_ActivityExecutionRecordSegments" RENAME TO "Elsa_ActivityExecutionRecords";

-- Instances: `data` becomes the workflow state alone.
CREATE TABLE "Elsa_WorkflowInstances_New" (
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
    -- The workflow state (Elsa's `WorkflowState`).
    data                        BLOB        NOT NULL
);
INSERT INTO "Elsa_WorkflowInstances_New"
SELECT id, definition_id, definition_version_id, definition_version, parent_workflow_instance_id, status,
       sub_status, correlation_id, name, incident_count, is_system, is_executing, created_at, updated_at,
       finished_at, version, CAST(json_extract(data, '$.workflowState') AS BLOB)
FROM "Elsa_WorkflowInstances";
DROP TABLE "Elsa_WorkflowInstances";
ALTER TABLE "Elsa_WorkflowInstances_New" RENAME TO "Elsa_WorkflowInstances";
CREATE INDEX "IX_WorkflowInstances_CreatedAt" ON "Elsa_WorkflowInstances" (created_at);
CREATE INDEX "IX_WorkflowInstances_DefinitionId" ON "Elsa_WorkflowInstances" (definition_id);
CREATE INDEX "IX_WorkflowInstances_Status" ON "Elsa_WorkflowInstances" (status, sub_status);
CREATE INDEX "IX_WorkflowInstances_CorrelationId" ON "Elsa_WorkflowInstances" (correlation_id);
