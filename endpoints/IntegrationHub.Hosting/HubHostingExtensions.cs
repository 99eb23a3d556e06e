using IntegrationHub.Hosting.Bus;
using IntegrationHub.Hosting.Configuration;
using IntegrationHub.Hosting.Departments;
using IntegrationHub.Hosting.Development;
using IntegrationHub.Hosting.Http;
using IntegrationHub.Hosting.Observability;
using IntegrationHub.Hosting.Outbound;
using IntegrationHub.Hosting.Persistence;
using IntegrationHub.Hosting.Runtime;
using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Rebus.Bus;
using Rebus.Pipeline;
using Rebus.Transport.InMem;

namespace IntegrationHub.Hosting;

public static class HubHostingExtensions
{
    /// <summary>
    /// Runs endpoint <typeparamref name="TEndpoint"/> in this process: its handlers and services, its bus on the transport
    /// and storage chosen by configuration (<c>Hub:Transport</c>, <c>Hub:Persistence</c>), its routes once
    /// <c>app.MapHubEndpoints()</c> is called, and — in development, with <c>Hub:Simulators:Enabled</c> — its simulators.
    /// </summary>
    public static IHostApplicationBuilder AddHubEndpoint<TEndpoint>(this IHostApplicationBuilder builder) where TEndpoint : HubEndpoint, new() =>
        builder.AddHubEndpoint(new TEndpoint());

    /// <inheritdoc cref="AddHubEndpoint{TEndpoint}(IHostApplicationBuilder)"/>
    public static IHostApplicationBuilder AddHubEndpoint(this IHostApplicationBuilder builder, HubEndpoint endpoint)
    {
        builder.AddHubCore();
        if (DevelopmentSimulators.On(builder.Configuration, builder.Environment))
            endpoint.AddDevelopmentSimulators(builder);
        builder.Services.AddHubEndpoint(endpoint);
        return builder;
    }

    /// <summary>The same, for a container whose <see cref="AddHubCore"/> was already called (a test adding an endpoint); no simulators.</summary>
    public static IServiceCollection AddHubEndpoint(this IServiceCollection services, HubEndpoint endpoint)
    {
        if (!services.Any(s => s.ServiceType == typeof(HubBusRegistry)))
            throw new InvalidOperationException("Call builder.AddServiceDefaults() (or AddHubCore()) before adding endpoints to a service collection.");
        if (services.Any(s => s.ServiceType == typeof(EndpointDefinition) && s.ImplementationInstance is EndpointDefinition d
                              && string.Equals(d.Endpoint.Name, endpoint.Name, StringComparison.OrdinalIgnoreCase)))
            throw new InvalidOperationException($"Endpoint {endpoint.Name} is added twice: each endpoint runs once per process.");

        var definition = new EndpointDefinition(endpoint);
        services.AddSingleton(definition);
        services.AddSingleton(endpoint);
        endpoint.Configure(new HubEndpointBuilder(definition, services));

        var name = endpoint.Name;
        services.AddKeyedSingleton(name, (sp, _) => CreateRuntime(definition, sp));
        services.AddSingleton(new SettingsCheck(sp => sp.GetRequiredKeyedService<EndpointRuntime>(name))); // its Hub:Endpoints:{Name} overrides
        var typed = typeof(EndpointRuntime<>).MakeGenericType(endpoint.GetType());
        services.AddSingleton(typed, sp => Activator.CreateInstance(typed, sp.GetRequiredKeyedService<EndpointRuntime>(name))!);
        // After the endpoint's own hosted services (its settings are checked by then): the bus starts last.
        services.AddSingleton<IHostedService>(sp => new EndpointBusService(sp.GetRequiredKeyedService<EndpointRuntime>(name), sp));
        return services;
    }

    static EndpointRuntime CreateRuntime(EndpointDefinition definition, IServiceProvider services)
    {
        var configuration = services.GetRequiredService<IConfiguration>();
        var options = EndpointOptions(definition.Endpoint, services.GetRequiredService<IOptions<HubOptions>>().Value, configuration);
        var transport = new EndpointTransport();
        var name = definition.Endpoint.Name;
        var transactions = new HubTransactions(
            options.Persistence == HubPersistence.PostgreSql ? options.PostgresConnectionString : null, name,
            () => transport.Transport ?? throw new InvalidOperationException($"Endpoint {name} has not started"),
            () => transport.Outbox ?? throw new InvalidOperationException($"Endpoint {name} has not started"),
            new RebusLoggerFactory(services.GetRequiredService<ILoggerFactory>()));
        var runtime = new EndpointRuntime(definition, options, transactions, transport, services.GetRequiredService<HandlerDatabase>());
        services.GetRequiredService<HubBusRegistry>().Add(runtime);
        return runtime;
    }

    /// <summary>
    /// The process-wide <c>Hub</c> settings, overridden by the endpoint's section <c>Hub:Endpoints:{Name}</c>, checked
    /// like them (a problem the shared settings have already is reported once, under <c>Hub</c>).
    /// </summary>
    static HubOptions EndpointOptions(HubEndpoint endpoint, HubOptions shared, IConfiguration configuration)
    {
        var section = configuration.GetSection($"{HubOptions.SectionName}:Endpoints:{endpoint.Name}");
        if (!section.Exists()) return shared;
        var options = new HubOptions();
        var problems = new List<string>();
        SettingsBinding.TryBind(configuration.GetSection(HubOptions.SectionName), options, problems);
        SettingsBinding.TryBind(section, options, problems);
        ApplyConnectionStrings(options, configuration);
        var sharedProblems = shared.Problems("").ToHashSet();
        problems.AddRange(options.Problems("").Where(p => !sharedProblems.Contains(p)).Select(p => section.Path + p));
        HubSettingsException.ThrowIfAny(problems);
        return options;
    }

    /// <summary>
    /// What every hub process has once, whatever its endpoints: options, the shared in-memory network, the department
    /// registry and contract, authentication and scopes, database migrations and readiness checks.
    /// </summary>
    public static IHostApplicationBuilder AddHubCore(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(s => s.ServiceType == typeof(HubBusRegistry)))
            return builder;

        // The first hosted service: every setting is checked, and the schema exists, before anything else reads or touches them.
        services.AddSingleton<HubStartup>();
        services.AddHostedService(sp => sp.GetRequiredService<HubStartup>());
        services.AddOptions<HubOptions>()
            .Bind(builder.Configuration.GetSection(HubOptions.SectionName))
            .PostConfigure(o => ApplyConnectionStrings(o, builder.Configuration));
        services.AddSingleton<IValidateOptions<HubOptions>, HubOptionsValidation>();
        services.AddSingleton(new SettingsCheck(sp => sp.GetRequiredService<IOptions<HubOptions>>().Value));

        services.AddSingleton<HubBusRegistry>();
        services.AddSingleton(sp => new HubConfiguration(sp.GetRequiredService<IConfiguration>(),
            sp.GetServices<EndpointDefinition>().SelectMany(d => d.Endpoint.MovedSettings)));
        services.AddSingleton(sp => new HubScopeRegistry(sp.GetServices<EndpointDefinition>().SelectMany(d => d.Endpoint.Scopes)));
        services.AddSingleton(sp => sp.GetRequiredService<HubConfiguration>().Read(DepartmentRegistry.From));
        services.AddSingleton(new SettingsCheck(sp => sp.GetRequiredService<DepartmentRegistry>()));
        services.TryAddSingleton(_ => new InMemNetwork());
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<HandlerDatabase>();
        services.TryAddSingleton<OutboundCalls>();
        services.TryAddTransient<IMessageContext>(_ => MessageContext.Current
            ?? throw new InvalidOperationException("IMessageContext is given to message handlers only, while they handle a message."));
        services.AddDepartmentContract();

        services.AddHealthChecks()
            .AddCheck<EndpointsRunningHealthCheck>("endpoints", tags: ["ready"])
            .AddCheck<RabbitMqHealthCheck>("rabbitmq", tags: ["ready"])
            .AddCheck<PostgresHealthCheck>("postgres", tags: ["ready"])
            .AddCheck<OutboxHealthCheck>("outbox", tags: ["ready"]);
        services.AddSingleton<HealthLog>();
        return builder;
    }

    /// <summary>
    /// What the HTTP side of every hub process has once (<c>AddServiceDefaults</c> adds it): JWT authentication and one
    /// policy per scope of its endpoints, problem details, and the OpenAPI document.
    /// </summary>
    public static IHostApplicationBuilder AddHubHttp(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        if (services.Any(s => s.ServiceType == typeof(HubHttpMarker)))
            return builder;
        services.AddSingleton<HubHttpMarker>();
        services.AddHubAuthentication();
        services.AddHubOpenApi();
        services.AddProblemDetails();
        return builder;
    }

    sealed class HubHttpMarker;

    /// <summary>
    /// Maps every endpoint's routes (and, with simulators on, theirs), the OpenAPI document (<c>/openapi/v1.json</c>) and
    /// its reference (<c>/scalar/v1</c>). Unhandled errors answer <c>application/problem+json</c>, without internals.
    /// </summary>
    public static WebApplication MapHubEndpoints(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseHostileInputGuard();
        var simulators = DevelopmentSimulators.On(app.Configuration, app.Environment);
        foreach (var endpoint in app.Services.GetServices<EndpointDefinition>().Select(d => d.Endpoint))
        {
            endpoint.MapRoutes(app);
            if (simulators) endpoint.MapDevelopmentSimulators(app);
        }
        app.MapHubOpenApi();
        return app;
    }

    /// <summary>
    /// Checks the configuration, then runs the process. A configuration that cannot run prints one line naming every
    /// problem and returns exit code 1, instead of a stack trace.
    /// </summary>
    public static int RunHub(this WebApplication app)
    {
        var name = app.Environment.ApplicationName;
        try
        {
            // Before app.Run() builds the hosted services, which take the endpoints' settings: every problem at once.
            app.Services.GetRequiredService<HubStartup>().CheckSettings();
            app.Run();
            return 0;
        }
        catch (HubSettingsException exception)
        {
            Console.Error.WriteLine($"{name} cannot start: {string.Join(" ", exception.Problems.Select(p => p.TrimEnd('.') + "."))}");
            return 1;
        }
    }

    internal static void ApplyConnectionStrings(HubOptions options, IConfiguration configuration)
    {
        options.RabbitMqConnectionString = configuration.GetConnectionString("RabbitMq") ?? HubOptions.DefaultRabbitMq;
        options.PostgresConnectionString = WithAutoPrepare(configuration.GetConnectionString("Postgres") ?? HubOptions.DefaultPostgres);
    }

    /// <summary>
    /// Npgsql prepares the statements a connection runs often (a durable step runs the same few on every message), so
    /// the server parses and plans them once per connection; and a pooled connection is not reset with
    /// <c>DISCARD ALL</c> each time it is taken (which would also drop those prepared statements): the hub keeps no
    /// session state (no <c>SET</c>, temporary tables or held advisory locks) between uses. A connection string that
    /// sets <c>Max Auto Prepare</c> or <c>No Reset On Close</c> keeps its value (<c>Max Auto Prepare=0</c> for a
    /// transaction-pooling proxy such as PgBouncer before 1.21; <c>No Reset On Close=false</c> for handlers that change
    /// session settings).
    /// </summary>
    internal static string WithAutoPrepare(string connectionString)
    {
        Npgsql.NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new Npgsql.NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            return connectionString; // the settings check reports it
        }
        // The keys as written (NpgsqlConnectionStringBuilder.ContainsKey answers for every keyword it knows).
        var given = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = connectionString };
        bool Sets(string keyword) => given.ContainsKey(keyword) || given.ContainsKey(keyword.Replace(" ", ""));
        if (!Sets("Max Auto Prepare"))
        {
            builder.MaxAutoPrepare = 32;
            builder.AutoPrepareMinUsages = 2;
        }
        if (!Sets("No Reset On Close")) builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }
}

/// <summary>
/// Says loudly what the process is running on, checks every endpoint's settings, and migrates the database, before
/// the endpoints start.
/// </summary>
internal sealed class HubStartup(IServiceProvider services, IOptions<HubOptions> options, HubConfiguration configuration,
    IEnumerable<HubEndpoint> endpoints, IHostEnvironment environment, ILogger<HubStartup> logger) : IHostedService
{
    int _checked;

    /// <summary>Every setting of every endpoint, and the development conveniences, checked once (by RunHub or at start).</summary>
    public void CheckSettings()
    {
        if (Interlocked.Exchange(ref _checked, 1) == 1) return;
        var conveniences = DevelopmentConveniences.OfHosting(configuration.Configuration)
            .Concat(endpoints.SelectMany(e => e.DevelopmentConveniences(configuration.Configuration)));
        ConfigurationCheck.Run(services, DevelopmentConveniences.Problems(conveniences, configuration.Configuration, environment, logger));
        configuration.LogWarnings(logger);
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        CheckSettings();

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
