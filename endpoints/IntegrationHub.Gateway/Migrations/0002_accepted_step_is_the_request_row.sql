-- The "accepted" step of a request's timeline is the request row itself (accepted_at): one row less per request.
DELETE FROM gateway.timeline WHERE entry_id = 'accepted';
