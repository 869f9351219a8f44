-- Bare ids (cookies from before signing) that have been honoured once and re-issued signed
-- (issue 26, item 3): presented again, such an id is a fresh visitor. Keyed by the id's SHA-256,
-- not the id: a dump of this table names nobody (an id has 128 random bits, so its hash cannot be
-- reversed by trying ids), and the web tier needs only to recognise an id it is shown. Only read
-- within Cookies__LegacyWindow of ball_cookie_signing.began; its rows are dead weight after that.
CREATE TABLE IF NOT EXISTS ball_legacy_cookies_used (
    id_sha256 bytea       PRIMARY KEY CHECK (length(id_sha256) = 32),
    used_on   timestamptz NOT NULL DEFAULT now()
);
