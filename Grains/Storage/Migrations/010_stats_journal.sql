-- The stats journal (issue 24, item 1): what each write of visitor rows changed in the stats,
-- inserted by that write's own statement or transaction, and folded into the aggregates (totals,
-- days, minutes, the assigned counters of 008 and the erasure ledger of 006) about once a second
-- by ball_stats_fold (Functions/visitors.sql). A visit batch then pays one small insert here
-- instead of an upsert of every aggregate it moves, and the aggregate rows take one writer a
-- second, however many silos write visits.
--   before, after: each changed visitor's figures before and after the write, element by element
--                  (an element NULL, or its color NULL: no visitor), as ball_stats_apply takes them;
--   browsers:      per element, the browser family of the row written; NULL for erasures;
--   reason:        NULL for a write of visitors (a visit or a seed: the assigned counters move);
--                  an erasure's reason (the erasure ledger moves, the assigned counters do not).
-- The fold deletes every row its snapshot sees and applies them in the same transaction, so a
-- row is folded exactly once, whatever order the rows' transactions committed in. No index: no
-- reader looks a row up, and a visit batch need not pay for one. Rows of up to about 8 kB (batches
-- of about 50 visitors) stay uncompressed in line, where a compressed one would cost the insert.
CREATE TABLE IF NOT EXISTS ball_stats_journal (
    id       bigint                 GENERATED ALWAYS AS IDENTITY,
    before   ball_visitor_figures[] NOT NULL,
    after    ball_visitor_figures[] NOT NULL,
    browsers text[],
    -- Checked here, where a bad value fails the erasure that wrote it, not every fold after it.
    reason   text                   CHECK (reason IN ('forget', 'retention', 'admin'))
) WITH (toast_tuple_target = 8160);
