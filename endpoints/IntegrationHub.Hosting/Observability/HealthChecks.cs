using IntegrationHub.Hosting.Persistence;
using Microsoft.Extensions.Diagnostics.HealthChecks;
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

internal sealed class RabbitMqHealthCheck(IOptions<HubOptions> options) : IHealthCheck
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
            return HealthCheckResult.Healthy($"RabbitMQ reachable at {where}");
        }
        catch (Exception exception)
        {
            return HealthCheckResult.Unhealthy($"RabbitMQ unreachable at {where}: {exception.Message}");
        }
    }
}

internal sealed class PostgresHealthCheck(IOptions<HubOptions> options) : IHealthCheck
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
            return HealthCheckResult.Healthy($"PostgreSQL reachable at {where}");
        }
        catch (Exception exception)
        {
            return HealthCheckResult.Unhealthy($"PostgreSQL unreachable at {where}: {exception.Message}");
        }
    }
}
