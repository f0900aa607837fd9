-- Each server process takes the next tag from this counter when it starts, and the ids it
-- makes carry the tag (10 bits): nodes sharing the database never make the same id.
CREATE TABLE "Elsa_NodeTags" (
    next BIGINT NOT NULL
);
INSERT INTO "Elsa_NodeTags" (next) VALUES (0);
