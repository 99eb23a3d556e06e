using IntegrationHub.Hosting.Persistence;
namespace IntegrationHub.Hosting.Departments;

/// <summary>Status resources of the embedded (not durable) mode: one instance per endpoint, shared by its API and its handlers.</summary>
internal sealed class InMemoryStatusResourceStore : IStatusResourceStore, IStatusResourceWriter
{
    readonly Lock _lock = new();
    readonly Dictionary<string, Entry> _resources = new(StringComparer.Ordinal);
    readonly Dictionary<(string Department, string Route, string Key), (IdempotencyRecord Record, string Kind, DateTimeOffset At)> _keys = [];

    sealed class Entry(StatusKind kind, NewStatusResource resource)
    {
        public StatusKind Kind { get; } = kind;
        public NewStatusResource Resource { get; } = resource;
        public string Status { get; set; } = kind.Initial;
        public DateTimeOffset UpdatedAt { get; set; } = resource.AcceptedAt;
        public DateTimeOffset? EndedAt { get; set; }
        public string? Result { get; set; }
        public string? Error { get; set; }
        public List<(string EntryId, TimelineEntry Entry)> Timeline { get; } = [];
    }

    public async Task<bool> Add(HubTransaction transaction, StatusKind kind, NewStatusResource resource)
    {
        if (!TryAdd(kind, resource)) return false;
        await transaction.Complete();
        return true;
    }

    /// <summary>Adds the resource and its key; false, adding nothing, when the department used the key on this route before.</summary>
    bool TryAdd(StatusKind kind, NewStatusResource resource)
    {
        lock (_lock)
        {
            if (resource.IdempotencyKey is { } key && !_keys.TryAdd((resource.Department, resource.Route, key),
                    (new IdempotencyRecord(resource.Id, resource.BodyHash), kind.Name, resource.AcceptedAt)))
                return false;
            _resources.Add(resource.Id, new Entry(kind, resource));
            return true;
        }
    }

    public Task<bool> Start(StatusKind kind, NewStatusResource resource)
    {
        lock (_lock)
            return Task.FromResult(_resources.TryAdd(resource.Id, new Entry(kind, resource)));
    }

    public Task<IdempotencyRecord?> FindIdempotencyKey(string department, string route, string key)
    {
        lock (_lock)
            return Task.FromResult(_keys.TryGetValue((department, route, key), out var found) ? found.Record : null);
    }

    public Task<StatusResource?> Find(StatusKind kind, string department, string id)
    {
        lock (_lock)
        {
            if (!_resources.TryGetValue(id, out var entry) || entry.Kind.Name != kind.Name || entry.Resource.Department != department)
                return Task.FromResult<StatusResource?>(null);
            var resource = entry.Resource;
            // The accepted step first, as in PostgreSQL where it is the resource row; then by time, ties in arrival order.
            var timeline = new List<TimelineEntry> { new(resource.AcceptedAt, kind.Initial, null) };
            timeline.AddRange(entry.Timeline.Select((t, i) => (t.Entry, i)).OrderBy(t => t.Entry.At).ThenBy(t => t.i).Select(t => t.Entry));
            return Task.FromResult<StatusResource?>(new StatusResource(resource.Id, kind.Name, resource.Department, entry.Status,
                resource.AcceptedAt, entry.UpdatedAt, resource.Attributes, entry.Result, entry.Error, timeline));
        }
    }

    public Task<bool> Apply(StatusKind kind, StatusUpdate update)
    {
        lock (_lock)
        {
            if (!_resources.TryGetValue(update.Id, out var entry) || entry.Kind.Name != kind.Name || entry.Resource.Department != update.Department
                || entry.Timeline.Any(t => t.EntryId == update.EntryId))
                return Task.FromResult(false);

            entry.Timeline.Add((update.EntryId, new TimelineEntry(update.At, update.Step, update.Detail)));
            if (update.At > entry.UpdatedAt)
                entry.UpdatedAt = update.At;
            if (kind.Rank(update.Status) > kind.Rank(entry.Status))
            {
                entry.Status = update.Status;
                entry.Result = update.Result;
                entry.Error = update.Error;
                if (kind.IsFinal(update.Status)) entry.EndedAt = update.At;
            }
            return Task.FromResult(true);
        }
    }

    public Task<int> PruneEnded(StatusKind kind, DateTimeOffset before, int batchSize, CancellationToken cancellationToken) =>
        Prune(kind, e => e.EndedAt < before, batchSize);

    public Task<int> PruneUnfinished(StatusKind kind, DateTimeOffset before, int batchSize, CancellationToken cancellationToken) =>
        Prune(kind, e => e.EndedAt is null && e.UpdatedAt < before, batchSize);

    public Task<int> PruneIdempotencyKeys(StatusKind kind, DateTimeOffset before, int batchSize, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var doomed = _keys.Where(k => k.Value.Kind == kind.Name && k.Value.At < before).Take(batchSize).Select(k => k.Key).ToList();
            foreach (var key in doomed) _keys.Remove(key);
            return Task.FromResult(doomed.Count);
        }
    }

    Task<int> Prune(StatusKind kind, Func<Entry, bool> expired, int batchSize)
    {
        lock (_lock)
        {
            var doomed = _resources.Values.Where(e => e.Kind.Name == kind.Name && expired(e)).Take(batchSize).Select(e => e.Resource.Id).ToHashSet();
            foreach (var id in doomed) _resources.Remove(id);
            foreach (var key in _keys.Where(k => doomed.Contains(k.Value.Record.ResourceId)).Select(k => k.Key).ToList()) _keys.Remove(key);
            return Task.FromResult(doomed.Count);
        }
    }
}
