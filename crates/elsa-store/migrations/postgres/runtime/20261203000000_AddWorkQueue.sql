-- The work queue: everything the runtime must still do — resume a bookmark when its timer is
-- due, start a dispatched or scheduled instance, send an HTTP request, deliver an event. A row
-- is written in the transaction of the state that caused it, and removed in the transaction
-- of the state that did the work, so no work is lost or done twice by a crash between the two.
CREATE TABLE "Elsa_WorkItems" (
    id                   TEXT        NOT NULL PRIMARY KEY,
    kind                 TEXT        NOT NULL,
    -- Pending, or DeadLettered once its attempts are used up.
    status               TEXT        NOT NULL,
    due_at               TIMESTAMPTZ NOT NULL,
    workflow_instance_id TEXT        NULL,
    payload              JSONB       NOT NULL,
    attempts             INTEGER     NOT NULL DEFAULT 0,
    last_error           TEXT        NULL,
    -- The node working on it, until when; another node may take it once the lease is over.
    locked_by            TEXT        NULL,
    locked_until         TIMESTAMPTZ NULL,
    created_at           TIMESTAMPTZ NOT NULL
);
CREATE INDEX "IX_WorkItems_Pending_DueAt" ON "Elsa_WorkItems" (due_at) WHERE status = 'Pending';
CREATE INDEX "IX_WorkItems_WorkflowInstanceId" ON "Elsa_WorkItems" (workflow_instance_id);

-- Events and tasks aimed at a correlation id find their bookmarks without reading the others.
CREATE INDEX "IX_Bookmarks_CorrelationId" ON "Elsa_Bookmarks" (correlation_id);
