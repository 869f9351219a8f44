-- Visitor cookies made in SQL, exactly as Web/Visits/VisitorCookie.cs makes them, for tools that
-- need working cookies of stored visitors (bench/harness.sh's cold shape, after `seed`). Whoever
-- may run these can read ball_cookie_keys anyway. Re-run whenever this file changes.

-- The key that signs now (the newest whose signs_from has passed) with its HMAC pads.
CREATE OR REPLACE FUNCTION ball_cookie_signer(OUT key_id integer, OUT inner_pad bytea, OUT outer_pad bytea)
LANGUAGE sql STABLE AS $f$
    SELECT id, ball_hmac_pad(key, 54), ball_hmac_pad(key, 92)
    FROM ball_cookie_keys WHERE signs_from <= now() ORDER BY id DESC LIMIT 1
$f$;

-- {visitor id}.{key id}.{tag}: the tag is the first 16 bytes of HMAC-SHA256 of the purpose line
-- and the id, in unpadded base64url.
CREATE OR REPLACE FUNCTION ball_visitor_cookie(key_id integer, inner_pad bytea, outer_pad bytea, visitor_id text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $f$
    SELECT visitor_id || '.' || key_id || '.' || rtrim(translate(encode(substr(
        sha256(outer_pad || sha256(inner_pad || convert_to(E'ball_visitor cookie v1\n' || visitor_id, 'UTF8'))), 1, 16),
        'base64'), '+/', '-_'), '=')
$f$;
