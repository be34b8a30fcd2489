-- Which ledger writes into this database: the installation id of its PostgreSQL (ledger_installation there),
-- claimed by the first writer. A PostgreSQL whose id is not the one claimed here refuses to write: its batch ids
-- would collide with batches this database has seen (see LedgerIdentity).
CREATE TABLE IF NOT EXISTS tokenledger_installation
(
    installation_id UUID,
    claimed_at      DateTime64(3, 'UTC'),
    claimed_by      String
)
ENGINE = MergeTree
ORDER BY (installation_id, claimed_at);
