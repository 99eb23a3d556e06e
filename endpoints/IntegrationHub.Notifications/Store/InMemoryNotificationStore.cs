namespace IntegrationHub.Notifications.Store;

/// <summary>The store in memory (the embedded host and in-memory tests): one lock makes every change atomic.</summary>
internal sealed class InMemoryNotificationStore : INotificationStore
{
    readonly object _gate = new();
    readonly List<TemplateRow> _templates = [];
    readonly Dictionary<(string, string), BatchRow> _batches = [];
    readonly Dictionary<(string, string), MessageRow> _messages = [];
    readonly HashSet<(string, string)> _finished = [];

    public Task<TemplateSaved> SaveTemplate(TemplateRow template, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var latest = _templates.Where(t => t.Department == template.Department && t.Id == template.Id).MaxBy(t => t.Version);
            if (TemplateRules.Conflict(latest, template) is { } conflict) return Task.FromResult(new TemplateSaved(null, conflict));
            var saved = template with { Version = (latest?.Version ?? 0) + 1 };
            _templates.Add(saved);
            return Task.FromResult(new TemplateSaved(saved, null));
        }
    }

    public Task<TemplateRow?> Template(string department, string id, int? version, CancellationToken cancellationToken)
    {
        lock (_gate)
            return Task.FromResult(_templates.Where(t => t.Department == department && t.Id == id && (version is null || t.Version == version)).MaxBy(t => t.Version));
    }

    public Task AddBatch(BatchRow batch, IReadOnlyList<MessageRow> messages)
    {
        lock (_gate)
        {
            if (_batches.ContainsKey((batch.Department, batch.Id))) return Task.CompletedTask;
            _batches[(batch.Department, batch.Id)] = batch;
            foreach (var message in messages) _messages[(message.Department, message.Id)] = message;
        }
        return Task.CompletedTask;
    }

    public Task<BatchRow?> Batch(string department, string id, CancellationToken cancellationToken)
    {
        lock (_gate) return Task.FromResult(_batches.GetValueOrDefault((department, id)));
    }

    public Task<(IReadOnlyList<MessageRow> Messages, IReadOnlyDictionary<string, int> Counts)> Messages(string department, string batchId, string? state, int limit,
        CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            var all = _messages.Values.Where(m => m.Department == department && m.BatchId == batchId).ToList();
            IReadOnlyDictionary<string, int> counts = all.GroupBy(m => m.State).ToDictionary(g => g.Key, g => g.Count());
            return Task.FromResult<(IReadOnlyList<MessageRow>, IReadOnlyDictionary<string, int>)>(
                ([.. all.Where(m => state is null || m.State == state).OrderBy(m => m.Id, StringComparer.Ordinal).Take(limit)], counts));
        }
    }

    public Task UpdateMessage(string department, string messageId, string state, string? provider, string? providerMessageId, string? code, DateTimeOffset at)
    {
        lock (_gate)
            if (_messages.TryGetValue((department, messageId), out var message))
                _messages[(department, messageId)] = message with { State = state, Provider = provider ?? message.Provider,
                    ProviderMessageId = providerMessageId ?? message.ProviderMessageId, Code = code ?? message.Code, UpdatedAt = at };
        return Task.CompletedTask;
    }

    public async Task<IReadOnlyDictionary<string, int>> CountsNow(string department, string batchId) =>
        (await Messages(department, batchId, null, 0, CancellationToken.None)).Counts;

    public async Task<bool> FinishMessage(string department, string batchId, string messageId, string state, string? code, DateTimeOffset at)
    {
        await UpdateMessage(department, messageId, state, null, null, code, at);
        lock (_gate)
        {
            if (!_finished.Add((department, messageId)) || !_batches.TryGetValue((department, batchId), out var batch)) return false;
            var finished = batch with { Finished = batch.Finished + 1 };
            _batches[(department, batchId)] = finished;
            return finished.Finished == finished.Total;
        }
    }
}

/// <summary>The rule for a template's next version.</summary>
internal static class TemplateRules
{
    public static string? Conflict(TemplateRow? latest, TemplateRow next)
    {
        if (latest is null) return null;
        if (latest.Channel != next.Channel) return $"template '{next.Id}' is a {latest.Channel} template; make another id for {next.Channel}";
        var sameText = latest.Texts.Count == next.Texts.Count && latest.Texts.All(t => next.Texts.TryGetValue(t.Key, out var n) && n == t.Value);
        if (latest.RegistrationId is { } registered && !sameText && next.RegistrationId == registered)
            return $"template '{next.Id}' is registered ({registered}): its text changes only with a new registration id";
        return null;
    }
}
