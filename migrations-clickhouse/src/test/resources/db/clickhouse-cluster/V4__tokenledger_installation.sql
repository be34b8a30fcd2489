CREATE TABLE IF NOT EXISTS tokenledger_installation ON CLUSTER `ledger_cluster` (
    installation_id UUID,
    claimed_at      DateTime64(3, 'UTC'),
    claimed_by      String
)
ENGINE = ReplicatedMergeTree('/clickhouse/tables/{database}/tokenledger_installation', '{shard}-{replica}')
ORDER BY (installation_id, claimed_at);
