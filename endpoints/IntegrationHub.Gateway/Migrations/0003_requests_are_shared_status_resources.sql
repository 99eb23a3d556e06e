-- Requests become status resources of the department contract (hub.status_resources, hub.status_timeline,
-- hub.idempotency_keys, created by the hub's migration 0005, which runs first). Department ids are lower case from now on.
INSERT INTO hub.status_resources (id, kind, department, status, status_rank, accepted_at, updated_at, ended_at, attributes, result, error)
SELECT request_id, 'request', lower(department), status,
       CASE status WHEN 'accepted' THEN 0 WHEN 'in-progress' THEN 1 ELSE 2 END,
       accepted_at, updated_at,
       CASE WHEN status IN ('completed', 'failed', 'timed-out') THEN updated_at END,
       jsonb_build_object('service', service), result, error
FROM gateway.requests
ON CONFLICT (id) DO NOTHING;

INSERT INTO hub.status_timeline (resource_id, entry_id, at, step, detail)
SELECT request_id, entry_id, at, step, detail FROM gateway.timeline ORDER BY id
ON CONFLICT (resource_id, entry_id) DO NOTHING;

INSERT INTO hub.idempotency_keys (department, route, idempotency_key, kind, resource_id, body_hash, created_at)
SELECT lower(department), 'POST /api/v1/requests', idempotency_key, 'request', request_id, body_hash, created_at
FROM gateway.idempotency_keys
ON CONFLICT DO NOTHING;

DROP TABLE gateway.idempotency_keys;
DROP TABLE gateway.timeline;
DROP TABLE gateway.requests;
