using System.Collections.Concurrent;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Hosting.Observability;
using IntegrationHub.Hosting.Persistence;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rebus.Bus;
using Rebus.Config;
using Rebus.Transport.InMem;

namespace IntegrationHub.Hosting;

/// <summary>The buses of the endpoints running in this process, by endpoint name.</summary>
public sealed class HubBusRegistry
{
    readonly ConcurrentDictionary<string, IBus> _buses = new(StringComparer.OrdinalIgnoreCase);
    readonly ConcurrentDictionary<string, HubTransactions> _transactions = new(StringComparer.OrdinalIgnoreCase);
    readonly ConcurrentDictionary<string, bool> _expected = new(StringComparer.OrdinalIgnoreCase);

    public IBus Get(string endpointName) => _buses.TryGetValue(endpointName, out var bus)
        ? bus
        : throw new InvalidOperationException($"Endpoint '{endpointName}' is not running in this process (yet).");

    /// <summary>Atomic "write state + send messages" for code of this endpoint that runs outside a handler (HTTP APIs).</summary>
    public HubTransactions Transactions(string endpointName) => _transactions.TryGetValue(endpointName, out var transactions)
        ? transactions
        : throw new InvalidOperationException($"Endpoint '{endpointName}' is not running in this process (yet).");

    public IReadOnlyCollection<string> Running => _buses.Keys.ToList();

    public IReadOnlyCollection<string> NotRunning => _expected.Keys.Where(k => !_buses.ContainsKey(k)).ToList();

    internal void Expect(string endpointName) => _expected[endpointName] = true;
    internal void Started(string endpointName, IBus bus, HubTransactions transactions)
    {
        _transactions[endpointName] = transactions;
        _buses[endpointName] = bus;
    }
    internal void Stopped(string endpointName) => _buses.TryRemove(endpointName, out _);
}

/// <summary>
/// Runs one endpoint in its own container, so that several endpoints can share a process (the all-in-one host)
/// without seeing each other's handlers, exactly as they would in processes of their own.
/// </summary>
internal sealed class HubEndpointHost(HubEndpoint endpoint, IServiceProvider host) : IHostedService, IAsyncDisposable
{
    // Resolved at start: when a web host is disposed while it is still stopping, `host` may be gone by StopAsync.
    readonly HubBusRegistry _registry = host.GetRequiredService<HubBusRegistry>();
    ServiceProvider? _endpointServices;
    readonly List<IHostedService> _started = [];
    HubTransactions? _transactions;
    int _stopping;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var configuration = host.GetRequiredService<IConfiguration>();
        var options = EndpointOptions(host.GetRequiredService<IOptions<HubOptions>>().Value, configuration);
        var loggerFactory = host.GetRequiredService<ILoggerFactory>();
        var network = host.GetRequiredService<InMemNetwork>();
        var metrics = new HubMetrics(endpoint.Name);
        var endpointTransport = new EndpointTransport();
        var transactions = new HubTransactions(
            options.Persistence == HubPersistence.PostgreSql ? options.PostgresConnectionString : null, endpoint.Name,
            () => endpointTransport.Transport ?? throw new InvalidOperationException($"Endpoint {endpoint.Name} has not started"),
            () => endpointTransport.Outbox ?? throw new InvalidOperationException($"Endpoint {endpoint.Name} has not started"),
            new RebusLoggerFactory(loggerFactory));

        var services = new ServiceCollection();
        services.AddSingleton(loggerFactory);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(configuration);
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton<Persistence.HandlerDatabase>();
        services.AddSingleton(transactions);
        services.AddSingleton(host.GetRequiredService<Departments.DepartmentRegistry>());
        endpoint.ConfigureServices(services, configuration);
        services.AddRebus(
            rebus => HubBusConfiguration.Configure(rebus, endpoint.Name, endpoint.QueueName, options, network, loggerFactory, metrics, endpointTransport),
            onCreated: async bus =>
            {
                foreach (var eventType in endpoint.Subscriptions)
                    await bus.Subscribe(eventType);
            });

        _endpointServices = services.BuildServiceProvider();
        foreach (var hosted in _endpointServices.GetServices<IHostedService>())
        {
            await hosted.StartAsync(cancellationToken);
            _started.Add(hosted);
        }

        _transactions = transactions;
        _registry.Started(endpoint.Name, _endpointServices.GetRequiredService<IBus>(), transactions);
        loggerFactory.CreateLogger<HubEndpointHost>().LogInformation(
            "Endpoint {Endpoint} is receiving from {Queue} ({Transport} transport, {Persistence} storage)",
            endpoint.Name, endpoint.QueueName, options.Transport, options.Persistence);
    }

    /// <summary>The process-wide <c>Hub</c> settings, overridden by the endpoint's own section <c>Hub:Endpoints:{Name}</c>.</summary>
    HubOptions EndpointOptions(HubOptions shared, IConfiguration configuration)
    {
        var section = configuration.GetSection($"{HubOptions.SectionName}:Endpoints:{endpoint.Name}");
        if (!section.Exists()) return shared;
        var options = new HubOptions();
        configuration.GetSection(HubOptions.SectionName).Bind(options);
        section.Bind(options);
        HubHostingExtensions.ApplyConnectionStrings(options, configuration);
        return options;
    }

    // A web host may be stopped twice at once (app.Run's shutdown and a test's dispose): the first stop does the work.
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 1) return;
        _registry.Stopped(endpoint.Name);
        if (_transactions is not null)
            await _transactions.DisposeAsync(); // what the APIs handed over is committed and sent while the bus still runs
        for (var i = _started.Count - 1; i >= 0; i--)
            await _started[i].StopAsync(cancellationToken);
        _started.Clear();
    }

    public async ValueTask DisposeAsync()
    {
        if (_endpointServices is not null)
            await _endpointServices.DisposeAsync();
    }
}
