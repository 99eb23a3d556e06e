namespace IntegrationHub.Webhooks.Storage;

/// <summary>Embedded mode: deliveries live as long as the process.</summary>
internal sealed class InMemoryWebhookDeliveryStore : IWebhookDeliveryStore, IWebhookDeliveryReader, IWebhookDeliveryPruner
{
    readonly Lock _lock = new();
    readonly Dictionary<string, WebhookDelivery> _deliveries = new();
    readonly Dictionary<string, List<WebhookAttempt>> _attempts = new();

    public Task<bool> TryAdd(WebhookDelivery delivery)
    {
        lock (_lock)
            return Task.FromResult(_deliveries.TryAdd(delivery.Id, delivery with { Department = IntegrationHub.Hosting.Departments.DepartmentRegistry.Normalize(delivery.Department) }));
    }

    public Task<WebhookDelivery?> Find(string id)
    {
        lock (_lock)
            return Task.FromResult(_deliveries.GetValueOrDefault(id));
    }

    public Task Save(WebhookDelivery delivery, WebhookAttempt? attempt = null)
    {
        lock (_lock)
        {
            _deliveries[delivery.Id] = delivery;
            if (attempt is not null)
            {
                if (!_attempts.TryGetValue(delivery.Id, out var list))
                    _attempts[delivery.Id] = list = [];
                list.Add(attempt);
            }
        }
        return Task.CompletedTask;
    }

    public Task<IReadOnlyList<WebhookDelivery>> List(string? status = null, string? department = null, int limit = 100,
        DeliveryCursor? after = null, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return Task.FromResult<IReadOnlyList<WebhookDelivery>>(_deliveries.Values
                .Where(d => status is null || d.Status == status)
                .Where(d => department is null || d.Department == IntegrationHub.Hosting.Departments.DepartmentRegistry.Normalize(department))
                .Where(d => after is null || d.CreatedAt < after.CreatedAt
                            || (d.CreatedAt == after.CreatedAt && string.CompareOrdinal(d.Id, after.Id) < 0))
                .OrderByDescending(d => d.CreatedAt)
                .ThenByDescending(d => d.Id, StringComparer.Ordinal)
                .Take(limit)
                .ToList());
    }

    public Task<WebhookDelivery?> Get(string id, CancellationToken cancellationToken = default) => Find(id);

    public Task<IReadOnlyList<WebhookAttempt>> Attempts(string id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return Task.FromResult<IReadOnlyList<WebhookAttempt>>(_attempts.TryGetValue(id, out var list) ? list.ToList() : []);
    }

    public Task<PrunedDeliveries> PruneDelivered(DateTimeOffset before, int batchSize, CancellationToken cancellationToken = default) =>
        Prune(d => d.Status == WebhookStatus.Delivered && d.DeliveredAt < before, batchSize);

    public Task<PrunedDeliveries> PruneDeadLettered(DateTimeOffset before, int batchSize, CancellationToken cancellationToken = default) =>
        Prune(d => (d.Status is WebhookStatus.Dead or WebhookStatus.NoCallbackRegistered) && (d.LastAttemptAt ?? d.CreatedAt) < before, batchSize);

    Task<PrunedDeliveries> Prune(Func<WebhookDelivery, bool> expired, int batchSize)
    {
        lock (_lock)
        {
            var attempts = 0;
            var doomed = _deliveries.Values.Where(expired).Take(batchSize).Select(d => d.Id).ToList();
            foreach (var id in doomed)
            {
                _deliveries.Remove(id);
                if (_attempts.Remove(id, out var list)) attempts += list.Count;
            }
            return Task.FromResult(new PrunedDeliveries(doomed.Count, attempts));
        }
    }
}
