using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Hosting.Retention;
using IntegrationHub.Hosting.Runtime;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Rebus.Handlers;

namespace IntegrationHub.Hosting;

/// <summary>
/// What <see cref="HubEndpoint.Configure"/> registers an endpoint's parts with. Services go into the process's one
/// container (<see cref="Services"/>), so the endpoint's HTTP API and its handlers share them; handlers are kept per
/// endpoint, so two endpoints in one process never receive each other's messages.
/// </summary>
public sealed class HubEndpointBuilder
{
    readonly EndpointDefinition _definition;

    internal HubEndpointBuilder(EndpointDefinition definition, IServiceCollection services)
    {
        _definition = definition;
        Services = services;
    }

    public IServiceCollection Services { get; }

    public string Name => _definition.Endpoint.Name;

    /// <summary>
    /// A message handler or saga of this endpoint, made for each message in a scope of its own: its constructor takes
    /// services of the container, <see cref="Rebus.Bus.IBus"/> (the endpoint's bus) and <see cref="Rebus.Pipeline.IMessageContext"/>.
    /// </summary>
    public HubEndpointBuilder Handler<THandler>() where THandler : class
    {
        foreach (var messageType in HandledMessageTypes(typeof(THandler)))
            Services.AddKeyedSingleton(Name, new HandlerRegistration(messageType, typeof(THandler)));
        return this;
    }

    /// <summary>
    /// A handler that calls an external system through <see cref="Outbound.OutboundCalls"/>: no database connection is
    /// opened for its message until the call is over, so a slow external system holds no connection and no lock.
    /// It is matched by the exact type of the messages it handles, as they are sent (not by base types or interfaces).
    /// </summary>
    public HubEndpointBuilder ExternalCallHandler<THandler>() where THandler : class
    {
        foreach (var messageType in HandledMessageTypes(typeof(THandler)))
            _definition.ExternalCallMessages.Add(messageType);
        return Handler<THandler>();
    }

    /// <summary>
    /// Settings read from the hub's configuration (old keys of <see cref="HubEndpoint.MovedSettings"/> included) when
    /// first needed, and checked when the process starts: <paramref name="read"/> throws
    /// <see cref="HubSettingsException"/> listing what is wrong, and the process stops with every problem of every
    /// endpoint listed at once.
    /// </summary>
    public HubEndpointBuilder Settings<TSettings>(Func<IConfiguration, TSettings> read) where TSettings : class
    {
        Services.AddSingleton(sp => sp.GetRequiredService<HubConfiguration>().Read(read));
        Services.AddSingleton(new SettingsCheck(sp => sp.GetRequiredService<TSettings>()));
        return this;
    }

    /// <summary>
    /// A store kept in PostgreSQL or in memory, as the endpoint's <c>Hub:Persistence</c> says; one instance, shared by
    /// the endpoint's handlers and its API.
    /// </summary>
    public HubEndpointBuilder Store<TStore>(Func<IServiceProvider, TStore> inMemory, Func<IServiceProvider, string, TStore> postgreSql)
        where TStore : class
    {
        var name = Name;
        Services.AddSingleton(sp =>
        {
            var options = sp.GetRequiredKeyedService<EndpointRuntime>(name).Options;
            return options.Persistence == HubPersistence.PostgreSql ? postgreSql(sp, options.PostgresConnectionString) : inMemory(sp);
        });
        return this;
    }

    /// <summary>
    /// Status resources of these kinds (the department contract: 202, a status resource with a timeline, idempotency
    /// keys), reached through <see cref="EndpointRuntime.Status"/> and pruned by the retention in <c>Hub:{Name}:Retention</c>
    /// (<see cref="StatusRetentionOptions"/>).
    /// </summary>
    public HubEndpointBuilder StatusResources(params StatusKind[] kinds)
    {
        if (_definition.StatusKinds.Count == 0)
        {
            var name = Name;
            Services.AddKeyedSingleton(name, (sp, _) => sp.GetRequiredService<HubConfiguration>().Read(c => RetentionOptions.From<StatusRetentionOptions>(c, name)));
            Services.AddSingleton(new SettingsCheck(sp => sp.GetRequiredKeyedService<StatusRetentionOptions>(name)));
            Services.AddSingleton<IHostedService>(sp => new StatusRetentionService(sp.GetRequiredKeyedService<EndpointRuntime>(name),
                sp.GetRequiredKeyedService<StatusRetentionOptions>(name), sp.GetRequiredService<TimeProvider>(), sp.GetRequiredService<ILogger<StatusRetentionService>>()));
        }
        _definition.StatusKinds.AddRange(kinds);
        return this;
    }

    static IEnumerable<Type> HandledMessageTypes(Type handler)
    {
        var types = handler.GetInterfaces()
            .Where(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IHandleMessages<>))
            .Select(i => i.GetGenericArguments()[0])
            .ToList();
        if (types.Count == 0)
            throw new ArgumentException($"{handler.Name} handles no message: it must implement IHandleMessages<TMessage>.", nameof(handler));
        return types;
    }
}
