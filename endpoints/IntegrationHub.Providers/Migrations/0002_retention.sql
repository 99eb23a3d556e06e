-- Retention: finished exchanges are pruned by age (unmatched callbacks by received_at, indexed in 0001).
CREATE INDEX finished_exchanges_finished_at_idx ON providers.finished_exchanges (finished_at);
