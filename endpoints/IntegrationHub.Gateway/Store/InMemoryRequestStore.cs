using IntegrationHub.Hosting.Persistence;

namespace IntegrationHub.Gateway.Store;

/// <summary>The embedded (not durable) store: one instance shared by the HTTP API and the status projection.</summary>
public sealed class InMemoryRequestStore : IRequestStore
{
    readonly Lock _lock = new();
    readonly Dictionary<string, Entry> _requests = new(StringComparer.Ordinal);
    readonly Dictionary<(string Department, string Key), IdempotencyRecord> _keys = [];

    sealed class Entry(NewRequest request)
    {
        public NewRequest Request { get; } = request;
        public string Status { get; set; } = RequestStatus.Accepted;
        public DateTimeOffset UpdatedAt { get; set; } = request.AcceptedAt;
        public string? Result { get; set; }
        public string? Error { get; set; }
        public List<(string EntryId, TimelineEntry Entry)> Timeline { get; } = [("accepted", new(request.AcceptedAt, "accepted", null))];
    }

    public async Task<bool> Add(NewRequest request, HubTransaction transaction)
    {
        lock (_lock)
        {
            if (request.IdempotencyKey is { } key && !_keys.TryAdd((request.Department, key), new(request.RequestId, request.BodyHash)))
                return false;
            _requests.Add(request.RequestId, new Entry(request));
        }
        await transaction.Complete();
        return true;
    }

    public Task<IdempotencyRecord?> FindIdempotencyKey(string department, string idempotencyKey)
    {
        lock (_lock)
            return Task.FromResult(_keys.GetValueOrDefault((department, idempotencyKey)));
    }

    public Task<RequestRecord?> Find(string department, string requestId)
    {
        lock (_lock)
        {
            if (!_requests.TryGetValue(requestId, out var entry) || entry.Request.Department != department)
                return Task.FromResult<RequestRecord?>(null);
            var request = entry.Request;
            // "accepted" first, as in PostgreSQL where it is the request row; then the steps by time, ties in arrival order
            var timeline = entry.Timeline.Take(1).Select(t => t.Entry)
                .Concat(entry.Timeline.Skip(1).Select((t, i) => (t.Entry, i)).OrderBy(t => t.Entry.At).ThenBy(t => t.i).Select(t => t.Entry)).ToList();
            return Task.FromResult<RequestRecord?>(new RequestRecord(request.RequestId, request.Department, request.Service, entry.Status,
                request.AcceptedAt, entry.UpdatedAt, entry.Result, entry.Error, timeline));
        }
    }

    public Task<bool> Apply(RequestUpdate update)
    {
        lock (_lock)
        {
            if (!_requests.TryGetValue(update.RequestId, out var entry) || entry.Request.Department != update.Department
                || entry.Timeline.Any(t => t.EntryId == update.EntryId))
                return Task.FromResult(false);

            entry.Timeline.Add((update.EntryId, new TimelineEntry(update.At, update.Step, update.Detail)));
            if (update.At > entry.UpdatedAt)
                entry.UpdatedAt = update.At;
            if (RequestStatus.Rank(update.Status) > RequestStatus.Rank(entry.Status))
            {
                entry.Status = update.Status;
                entry.Result = update.Result;
                entry.Error = update.Error;
            }
            return Task.FromResult(true);
        }
    }
}
