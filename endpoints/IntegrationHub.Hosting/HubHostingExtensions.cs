using IntegrationHub.Hosting.Observability;
using IntegrationHub.Hosting.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rebus.Bus;
using Rebus.Transport.InMem;

namespace IntegrationHub.Hosting;

public static class HubHostingExtensions
{
    /// <summary>
    /// Runs <paramref name="endpoint"/> in this process: its input queue, handlers and sagas, on the transport and
    /// storage chosen by configuration (<c>Hub:Transport</c>, <c>Hub:Persistence</c>). Its bus is available as a keyed
    /// <see cref="IBus"/> (key = endpoint name) and through <see cref="HubBusRegistry"/>.
    /// </summary>
    public static IHostApplicationBuilder AddHubEndpoint(this IHostApplicationBuilder builder, HubEndpoint endpoint)
    {
        builder.AddHubCore();
        builder.Services.AddHubEndpoint(endpoint);
        return builder;
    }

    /// <summary>The same, for a container whose <see cref="AddHubCore"/> was already called (e.g. a test adding an endpoint).</summary>
    public static IServiceCollection AddHubEndpoint(this IServiceCollection services, HubEndpoint endpoint)
    {
        if (!services.Any(s => s.ServiceType == typeof(HubBusRegistry)))
            throw new InvalidOperationException("Call builder.AddHubCore() (or AddServiceDefaults()) before adding endpoints to a service collection.");
        services.AddSingleton(endpoint);
        services.AddSingleton<IHostedService>(sp =>
        {
            sp.GetRequiredService<HubBusRegistry>().Expect(endpoint.Name);
            return new HubEndpointHost(endpoint, sp);
        });
        services.AddKeyedSingleton<IBus>(endpoint.Name, (sp, _) => sp.GetRequiredService<HubBusRegistry>().Get(endpoint.Name));
        return services;
    }

    /// <summary>Options, shared in-memory network, database migrations and readiness checks; added once per process.</summary>
    public static IHostApplicationBuilder AddHubCore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(s => s.ServiceType == typeof(HubBusRegistry)))
            return builder;

        services.AddOptions<HubOptions>()
            .Bind(builder.Configuration.GetSection(HubOptions.SectionName))
            .PostConfigure(o => ApplyConnectionStrings(o, builder.Configuration))
            .Validate(o => o.Retries.ImmediateAttempts >= 1, "Hub:Retries:ImmediateAttempts must be at least 1")
            .Validate(o => o.QueueType is "Quorum" or "Classic", "Hub:QueueType must be Quorum or Classic")
            .ValidateOnStart();

        services.AddSingleton<HubBusRegistry>();
        services.AddSingleton(sp => Departments.DepartmentRegistry.From(sp.GetRequiredService<IConfiguration>()));
        services.TryAddSingleton(_ => new InMemNetwork());
        // Registered before any endpoint: the schema exists before a bus touches it.
        services.AddHostedService<HubStartup>();

        services.AddHealthChecks()
            .AddCheck<EndpointsRunningHealthCheck>("endpoints", tags: ["ready"])
            .AddCheck<RabbitMqHealthCheck>("rabbitmq", tags: ["ready"])
            .AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"]);
        return builder;
    }

    internal static void ApplyConnectionStrings(HubOptions options, IConfiguration configuration)
    {
        options.RabbitMqConnectionString = configuration.GetConnectionString("RabbitMq") ?? HubOptions.DefaultRabbitMq;
        options.PostgresConnectionString = configuration.GetConnectionString("Postgres") ?? HubOptions.DefaultPostgres;
    }
}

/// <summary>Says loudly what the process is running on, and migrates the database before the endpoints start.</summary>
internal sealed class HubStartup(IOptions<HubOptions> options, IEnumerable<HubEndpoint> endpoints, ILogger<HubStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (o.Transport == HubTransport.InMemory || o.Persistence == HubPersistence.InMemory)
        {
            logger.LogWarning(
                "NOT DURABLE: running with {Transport} transport and {Persistence} storage. Messages, sagas and timeouts " +
                "held in memory are lost when this process stops. For production set Hub__Transport=RabbitMq and " +
                "Hub__Persistence=PostgreSql (see README).", o.Transport, o.Persistence);
        }

        if (o.Persistence == HubPersistence.PostgreSql)
            await HubDatabase.MigrateAsync(o.PostgresConnectionString, logger, cancellationToken,
                endpoints.Select(e => e.Migrations).OfType<MigrationSet>());
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
