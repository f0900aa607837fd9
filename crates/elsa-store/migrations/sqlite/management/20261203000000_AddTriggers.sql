-- The trigger index: one row per trigger of each published version (an HTTP endpoint per
-- method, an event name, a timer...), written in the transaction that publishes, retracts or
-- deletes the version, and found by (name, hash) as Elsa's stored triggers are.
CREATE TABLE "Elsa_Triggers" (
    id                    TEXT        NOT NULL PRIMARY KEY,
    definition_id         TEXT        NOT NULL,
    definition_version_id TEXT        NOT NULL,
    name                  TEXT        NOT NULL,
    activity_id           TEXT        NOT NULL,
    hash                  TEXT        NOT NULL,
    payload               TEXT        NOT NULL,
    -- Timer, Cron and StartAt triggers: when the next tick is due; NULL when nothing is scheduled.
    next_fire_at          TEXT        NULL,
    CONSTRAINT "UX_Triggers_Definition_Hash_Activity" UNIQUE (definition_id, hash, activity_id)
);
CREATE INDEX "IX_Triggers_Name_Hash" ON "Elsa_Triggers" (name, hash);
CREATE INDEX "IX_Triggers_DefinitionVersionId" ON "Elsa_Triggers" (definition_version_id);
CREATE INDEX "IX_Triggers_NextFireAt" ON "Elsa_Triggers" (next_fire_at) WHERE next_fire_at IS NOT NULL;

-- Published versions stored before the index existed have no rows in it: the server indexes
-- those whose flag is still false at start-up.
ALTER TABLE "Elsa_WorkflowDefinitions" ADD COLUMN triggers_indexed INTEGER NOT NULL DEFAULT 0;
