-- One row per sealed batch the node wants proven. The node writes a job (`enqueue`), workers
-- lease it (`claim`, `heartbeat`), prove it and store the proof in the statement that ends the
-- lease (`complete`); the node reads proofs back in batch order and deletes what it imported.
-- See prover-queue/src/queue.rs for every statement and docs/architecture.md for the design.
CREATE TABLE prover_jobs (
    batch_number     bigint      PRIMARY KEY CHECK (batch_number >= 0),
    -- The deployment the batch's signatures are over, and the shape it is proven at (JSON).
    chain_id         bigint      NOT NULL,
    rollup           bytea       NOT NULL CHECK (octet_length(rollup) = 20),
    shape            text        NOT NULL,
    -- The verifying-key hash a proof must verify under (a worker only claims its own key's jobs).
    key_hash         bytea       NOT NULL CHECK (octet_length(key_hash) = 32),
    -- The batch's public input, big-endian: a resealed batch has another, and resets its job.
    commitment       bytea       NOT NULL CHECK (octet_length(commitment) = 32),
    -- What the worker makes the circuit's witness from: the batch witness as JSON (the format of
    -- `zksettle prover witness --batch`), not the circuit's full assignment.
    witness          bytea       NOT NULL,
    status           text        NOT NULL DEFAULT 'queued'
                                 CHECK (status IN ('queued', 'leased', 'proven', 'failed')),
    attempts         integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts     integer     NOT NULL CHECK (max_attempts > 0),
    lease_owner      text,
    lease_expires_at timestamptz,
    proof            bytea,
    proven_by        text,
    prove_seconds    double precision,
    error            text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    claimed_at       timestamptz,
    proven_at        timestamptz,
    CHECK ((status = 'leased') = (lease_owner IS NOT NULL AND lease_expires_at IS NOT NULL)),
    CHECK ((status = 'proven') = (proof IS NOT NULL AND proven_at IS NOT NULL))
);

CREATE INDEX prover_jobs_queued ON prover_jobs (batch_number) WHERE status = 'queued';
CREATE INDEX prover_jobs_leased ON prover_jobs (lease_expires_at) WHERE status = 'leased';

-- Wakes workers when a job is (re)queued and the node when one is done; both also poll, as a
-- notification sent while nobody listened is never replayed.
CREATE FUNCTION prover_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'queued' THEN
        PERFORM pg_notify('prover_jobs_queued', NEW.batch_number::text);
    ELSIF NEW.status IN ('proven', 'failed') THEN
        PERFORM pg_notify('prover_jobs_done', NEW.batch_number::text);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER prover_jobs_notify AFTER INSERT OR UPDATE OF status ON prover_jobs
    FOR EACH ROW EXECUTE FUNCTION prover_jobs_notify();
