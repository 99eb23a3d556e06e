using System.Collections.Concurrent;
using IntegrationHub.Hosting.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using RabbitMQ.Client;

namespace IntegrationHub.Hosting.Observability;

internal sealed class EndpointsRunningHealthCheck(HubBusRegistry registry) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var notRunning = registry.NotRunning;
        return Task.FromResult(notRunning.Count == 0
            ? HealthCheckResult.Healthy($"running: {string.Join(", ", registry.Running)}")
            : HealthCheckResult.Unhealthy($"not running yet: {string.Join(", ", notRunning)}"));
    }
}

/// <summary>Logs a readiness check's failure, with its reason, when it starts failing, and when it recovers: not at every probe.</summary>
internal sealed class HealthLog(ILogger<HealthLog> logger)
{
    readonly ConcurrentDictionary<string, bool> _healthy = new();

    public HealthCheckResult Report(string check, HealthCheckResult result)
    {
        var healthy = result.Status == HealthStatus.Healthy;
        if (_healthy.TryGetValue(check, out var before) && before == healthy) return result;
        _healthy[check] = healthy;
        if (healthy)
        {
            if (before is false) logger.LogInformation("Readiness check {Check} is healthy again: {Description}", check, result.Description);
        }
        else
            logger.LogWarning("Readiness check {Check} fails: {Description}", check, result.Description);
        return result;
    }
}

/// <summary>Every endpoint's outbox: how many messages wait to be sent, and whether one holds as many as it may.</summary>
internal sealed class OutboxHealthCheck(HubBusRegistry registry, HealthLog log) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var outboxes = registry.All.Where(e => e.Transport.Outbox is not null).Select(e => (e.Name, Outbox: e.Transport.Outbox!)).ToList();
        if (outboxes.Count == 0)
            return Task.FromResult(HealthCheckResult.Healthy("not used (in-memory storage)"));
        var description = string.Join(", ", outboxes.Select(o => $"{o.Name}: {o.Outbox.Pending} waiting (limit {o.Outbox.MaxPending})"));
        return Task.FromResult(log.Report("outbox", outboxes.Any(o => o.Outbox.IsFull)
            ? HealthCheckResult.Unhealthy("an outbox is full, new work is refused: " + description)
            : HealthCheckResult.Healthy(description)));
    }
}

internal sealed class RabbitMqHealthCheck(IOptions<HubOptions> options, HealthLog log) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        if (o.Transport != HubTransport.RabbitMq)
            return HealthCheckResult.Healthy("not used (in-memory transport)");

        var uri = new Uri(o.RabbitMqConnectionString);
        var where = $"{uri.Host}:{(uri.Port > 0 ? uri.Port : 5672)}";
        try
        {
            var factory = new ConnectionFactory
            {
                Uri = uri,
                RequestedConnectionTimeout = TimeSpan.FromSeconds(3),
                ClientProvidedName = "hub:health-check",
                AutomaticRecoveryEnabled = false,
            };
            await using var connection = await factory.CreateConnectionAsync(cancellationToken);
            return log.Report("rabbitmq", HealthCheckResult.Healthy($"RabbitMQ reachable at {where}"));
        }
        catch (Exception exception)
        {
            return log.Report("rabbitmq", HealthCheckResult.Unhealthy($"RabbitMQ unreachable at {where}: {exception.Message}"));
        }
    }
}

internal sealed class PostgresHealthCheck(IOptions<HubOptions> options, HealthLog log) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var o = options.Value;
        if (o.Persistence != HubPersistence.PostgreSql)
            return HealthCheckResult.Healthy("not used (in-memory storage)");

        var where = HubDatabase.Describe(o.PostgresConnectionString);
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(o.PostgresConnectionString) { Timeout = 3 };
            await using var connection = new NpgsqlConnection(builder.ConnectionString);
            await connection.OpenAsync(cancellationToken);
            await using var command = new NpgsqlCommand("SELECT 1", connection);
            await command.ExecuteScalarAsync(cancellationToken);
            return log.Report("postgres", HealthCheckResult.Healthy($"PostgreSQL reachable at {where}"));
        }
        catch (Exception exception)
        {
            return log.Report("postgres", HealthCheckResult.Unhealthy($"PostgreSQL unreachable at {where}: {exception.Message}"));
        }
    }
}
