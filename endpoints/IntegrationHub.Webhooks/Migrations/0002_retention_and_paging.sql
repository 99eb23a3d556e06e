-- Retention: ended deliveries are found by when they ended (see PostgreSqlWebhookDeliveryPruner).
CREATE INDEX deliveries_delivered_at ON webhooks.deliveries (delivered_at) WHERE status = 'delivered';
CREATE INDEX deliveries_dead_lettered_at ON webhooks.deliveries ((coalesce(last_attempt_at, created_at)))
    WHERE status IN ('dead', 'no-callback-registered');

-- Paging the ops API's list: newest first, ties by id (byte-wise).
CREATE INDEX deliveries_created_id ON webhooks.deliveries (created_at, id COLLATE "C");
