-- A commit writes an instance's journal and activity execution records as one row each (a
-- segment), not one row per record, and the instance row keeps only the workflow state in
-- `data`: the summary fields live in the columns alone. Segments and states are JSON,
-- zstd-compressed when written by the server; the rows this migration converts stay plain
-- JSON (SQL cannot compress), and readers take either.

-- Journal: one segment per commit, keyed by the sequence of its first record.
CREATE TABLE "Elsa_WorkflowExecutionLogSegments" (
    workflow_instance_id TEXT    NOT NULL,
    first_sequence       BIGINT  NOT NULL,
    record_count         INTEGER NOT NULL,
    data                 BYTEA   NOT NULL,
    PRIMARY KEY (workflow_instance_id, first_sequence)
);
INSERT INTO "Elsa_WorkflowExecutionLogSegments"
SELECT workflow_instance_id, MIN(sequence), COUNT(*),
       convert_to(json_agg(data ORDER BY sequence)::text, 'UTF8')
FROM "Elsa_WorkflowExecutionLogRecords" GROUP BY workflow_instance_id;
DROP TABLE "Elsa_WorkflowExecutionLogRecords";
ALTER TABLE "Elsa_WorkflowExecutionLogSegments" RENAME TO "Elsa_WorkflowExecutionLogRecords";
ALTER INDEX "Elsa_WorkflowExecutionLogSegments_pkey" RENAME TO "Elsa_WorkflowExecutionLogRecords_pkey";

-- Activity execution records: one segment per commit, keyed by the instance version the
-- commit wrote; a record updated by a later commit is in that commit's segment again, and
-- the latest copy wins. Converted records form segment 0.
CREATE TABLE "Elsa_ActivityExecutionRecordSegments" (
    workflow_instance_id TEXT    NOT NULL,
    version              BIGINT  NOT NULL,
    data                 BYTEA   NOT NULL,
    PRIMARY KEY (workflow_instance_id, version)
);
INSERT INTO "Elsa_ActivityExecutionRecordSegments"
SELECT workflow_instance_id, 0, convert_to(json_agg(data ORDER BY started_at, id)::text, 'UTF8')
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
ALTER INDEX "Elsa_ActivityExecutionRecordSegments_pkey" RENAME TO "Elsa_ActivityExecutionRecords_pkey";

-- Instances: `data` becomes the workflow state alone, compressed by the server.
ALTER TABLE "Elsa_WorkflowInstances"
    ALTER COLUMN data TYPE BYTEA USING convert_to((data -> 'workflowState')::text, 'UTF8');
