-- What a call is billed for besides its text tokens (issue 15): image tokens (parts of prompt_tokens and
-- completion_tokens, like the audio ones), web searches, images priced per image, seconds of audio and video priced
-- per second (exact, to the millisecond), and the region the provider ran the call in when it bills a regional
-- uplift (inference_geo, as sent). Constant defaults: adding them rewrites no existing row, and an event recorded
-- by an older writer reads as one without them.
ALTER TABLE usage_event
    ADD COLUMN image_prompt_tokens     bigint        NOT NULL DEFAULT 0,
    ADD COLUMN image_completion_tokens bigint        NOT NULL DEFAULT 0,
    ADD COLUMN web_search_requests     bigint        NOT NULL DEFAULT 0,
    ADD COLUMN input_images            bigint        NOT NULL DEFAULT 0,
    ADD COLUMN output_images           bigint        NOT NULL DEFAULT 0,
    ADD COLUMN input_audio_seconds     numeric(12,3) NOT NULL DEFAULT 0,
    ADD COLUMN input_video_seconds     numeric(12,3) NOT NULL DEFAULT 0,
    ADD COLUMN output_audio_seconds    numeric(12,3) NOT NULL DEFAULT 0,
    ADD COLUMN output_video_seconds    numeric(12,3) NOT NULL DEFAULT 0,
    ADD COLUMN inference_geo           text          NOT NULL DEFAULT '';

-- Their figures, summed per day where every other measure is (see Measure): the PostgreSQL side of reconcile for
-- the rollup's new columns. Zero, not unknown, for what was written before: no event had any of them.
ALTER TABLE usage_written_day
    ADD COLUMN image_tokens        bigint  NOT NULL DEFAULT 0,
    ADD COLUMN web_search_requests bigint  NOT NULL DEFAULT 0,
    ADD COLUMN images              bigint  NOT NULL DEFAULT 0,
    ADD COLUMN image_cost          numeric NOT NULL DEFAULT 0,
    ADD COLUMN web_search_cost     numeric NOT NULL DEFAULT 0,
    ADD COLUMN seconds_cost        numeric NOT NULL DEFAULT 0;

ALTER TABLE usage_written_replay
    ADD COLUMN image_tokens        bigint  NOT NULL DEFAULT 0,
    ADD COLUMN web_search_requests bigint  NOT NULL DEFAULT 0,
    ADD COLUMN images              bigint  NOT NULL DEFAULT 0,
    ADD COLUMN image_cost          numeric NOT NULL DEFAULT 0,
    ADD COLUMN web_search_cost     numeric NOT NULL DEFAULT 0,
    ADD COLUMN seconds_cost        numeric NOT NULL DEFAULT 0;

ALTER TABLE usage_reprice_day
    ADD COLUMN image_cost          numeric NOT NULL DEFAULT 0,
    ADD COLUMN web_search_cost     numeric NOT NULL DEFAULT 0,
    ADD COLUMN seconds_cost        numeric NOT NULL DEFAULT 0;
