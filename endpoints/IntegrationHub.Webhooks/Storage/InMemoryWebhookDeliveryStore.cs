namespace IntegrationHub.Webhooks.Storage;

/// <summary>Embedded mode: deliveries live as long as the process.</summary>
internal sealed class InMemoryWebhookDeliveryStore : IWebhookDeliveryStore, IWebhookDeliveryReader
{
    readonly Lock _lock = new();
    readonly Dictionary<string, WebhookDelivery> _deliveries = new();
    readonly Dictionary<string, List<WebhookAttempt>> _attempts = new();

    public Task<bool> TryAdd(WebhookDelivery delivery)
    {
        lock (_lock)
            return Task.FromResult(_deliveries.TryAdd(delivery.Id, delivery));
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

    public Task<IReadOnlyList<WebhookDelivery>> List(string? status = null, string? department = null, int limit = 100, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return Task.FromResult<IReadOnlyList<WebhookDelivery>>(_deliveries.Values
                .Where(d => status is null || d.Status == status)
                .Where(d => department is null || string.Equals(d.Department, department, StringComparison.OrdinalIgnoreCase))
                .OrderByDescending(d => d.CreatedAt)
                .Take(limit)
                .ToList());
    }

    public Task<WebhookDelivery?> Get(string id, CancellationToken cancellationToken = default) => Find(id);

    public Task<IReadOnlyList<WebhookAttempt>> Attempts(string id, CancellationToken cancellationToken = default)
    {
        lock (_lock)
            return Task.FromResult<IReadOnlyList<WebhookAttempt>>(_attempts.TryGetValue(id, out var list) ? list.ToList() : []);
    }
}
