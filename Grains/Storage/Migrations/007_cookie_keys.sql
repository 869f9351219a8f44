-- The keys that sign the ball_visitor cookie (issue 18), beside the pseudonym key and made the
-- same way. Every key verifies; the newest one whose signs_from has passed signs. A rotation adds
-- a key that starts signing later than every web instance reloads its keys (`rotate-cookie-key`).
CREATE TABLE IF NOT EXISTS ball_cookie_keys (
    id         integer     PRIMARY KEY CHECK (id BETWEEN 1 AND 9999),
    key        bytea       NOT NULL CHECK (length(key) = 32),
    signs_from timestamptz NOT NULL DEFAULT now()
);

INSERT INTO ball_cookie_keys (id, key, signs_from)
SELECT 1, sha256(uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid())), now()
ON CONFLICT (id) DO NOTHING;

-- When signing began, and whether any visitor was stored before: only then can a bare id (a
-- cookie from before signing) be honoured, and only for a visitor first seen before that moment.
CREATE TABLE IF NOT EXISTS ball_cookie_signing (
    id              boolean     PRIMARY KEY DEFAULT true CHECK (id),
    began           timestamptz NOT NULL,
    legacy_visitors boolean     NOT NULL
);

INSERT INTO ball_cookie_signing (began, legacy_visitors)
SELECT now(), EXISTS (SELECT 1 FROM ball_grain_state WHERE state_name = 'visitor' AND first_seen IS NOT NULL)
ON CONFLICT (id) DO NOTHING;
