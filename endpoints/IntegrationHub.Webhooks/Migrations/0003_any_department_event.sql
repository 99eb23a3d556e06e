-- Webhooks for any department event: a delivery is about a subject (a request, a payment…), not only a request.
-- Department ids are lower case from now on.
ALTER TABLE webhooks.deliveries RENAME COLUMN request_id TO subject;
UPDATE webhooks.deliveries SET department = lower(department) WHERE department <> lower(department);
