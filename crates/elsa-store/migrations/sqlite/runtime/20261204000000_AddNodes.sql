-- The nodes (server processes) sharing this database: each writes its row at start and every
-- few seconds after (the heartbeat), with what it has done so far, so any node can list the
-- cluster and an operator can see which node claims work, takes over expired leases, and how
-- late timers fire. A node that stops gracefully says so; one that died stops beating.
CREATE TABLE "Elsa_Nodes" (
    node_id      TEXT        NOT NULL PRIMARY KEY,
    started_at   TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL,
    stopped_at   TEXT NULL,
    -- Version, address and counters since start (JSON).
    data         TEXT NOT NULL
);
