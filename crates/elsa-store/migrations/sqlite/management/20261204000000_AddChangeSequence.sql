-- A counter that every write of definitions (and so of their triggers) moves on in its own
-- transaction. Each node keeps caches of what follows from definitions (loaded workflows,
-- the HTTP route table); it compares this counter with the one it last saw to learn that
-- another node published, retracted or deleted something. PostgreSQL also NOTIFYs channel
-- elsa_changes on commit, so nodes learn at once; the counter covers lost notifications.
CREATE TABLE "Elsa_Changes" (
    name     TEXT   NOT NULL PRIMARY KEY,
    sequence BIGINT NOT NULL
);
INSERT INTO "Elsa_Changes" (name, sequence) VALUES ('definitions', 0);
