using System.Collections.Concurrent;
using IntegrationHub.Hosting.Bus;
using IntegrationHub.Hosting.Observability;
using IntegrationHub.Hosting.Persistence;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rebus.Bus;

namespace IntegrationHub.Hosting;

/// <summary>An endpoint as its process composed it: the endpoint and what its handlers are registered with.</summary>
internal sealed class EndpointDefinition(HubEndpoint endpoint)
{
    public HubEndpoint Endpoint { get; } = endpoint;

    /// <summary>Messages whose handlers call external systems (<see cref="HubEndpointBuilder.ExternalCallHandler{THandler}"/>).</summary>
    public HashSet<Type> ExternalCallMessages { get; } = [];

    /// <summary>Kinds of status resources it keeps (<see cref="HubEndpointBuilder.StatusResources"/>).</summary>
    public List<Departments.StatusKind> StatusKinds { get; } = [];
}

/// <summary>
/// One endpoint running in this process: its effective settings, its bus (once started) and its transactions for
/// work outside handlers. HTTP APIs and singletons take <see cref="EndpointRuntime{TEndpoint}"/>; message handlers
/// simply take <see cref="IBus"/>.
/// </summary>
public sealed class EndpointRuntime
{
    IBus? _bus;
    readonly Departments.StatusResources? _status;

    internal EndpointRuntime(EndpointDefinition definition, HubOptions options, HubTransactions transactions, EndpointTransport transport,
        HandlerDatabase database)
    {
        Definition = definition;
        Options = options;
        Transactions = transactions;
        Transport = transport;
        Metrics = new HubMetrics(definition.Endpoint.Name);
        if (definition.StatusKinds.Count > 0)
            _status = new Departments.StatusResources(this, definition.StatusKinds, database);
    }

    internal EndpointDefinition Definition { get; }
    internal EndpointTransport Transport { get; }
    internal HubMetrics Metrics { get; }

    public HubEndpoint Endpoint => Definition.Endpoint;

    public string Name => Endpoint.Name;

    /// <summary>The shared <c>Hub</c> settings with the endpoint's overrides (<c>Hub:Endpoints:{Name}</c>) applied.</summary>
    public HubOptions Options { get; }

    public bool IsRunning => _bus is not null;

    /// <summary>The endpoint's bus; there is none before the endpoint started or after it stopped.</summary>
    public IBus Bus => _bus ?? throw new InvalidOperationException($"Endpoint {Name} is not running in this process (it has not started, or it stopped).");

    /// <summary>Atomic "write state + send messages" for the endpoint's code outside handlers (its HTTP API).</summary>
    public HubTransactions Transactions { get; }

    /// <summary>The endpoint's status resources (the department contract's 202 + status + timeline).</summary>
    public Departments.StatusResources Status => _status
        ?? throw new InvalidOperationException($"Endpoint {Name} keeps no status resources: declare them with endpoint.StatusResources(...).");

    internal void Started(IBus bus) => _bus = bus;

    internal void Stopped() => _bus = null;

    /// <summary>
    /// Runs <paramref name="work"/> (sends and publishes on <see cref="Bus"/>, SQL through <see cref="HandlerDatabase"/>)
    /// in one transaction of this endpoint and commits it. Null when it committed; when the database or the broker is
    /// away, the cause is logged and the answer is 503 with <c>Retry-After</c>, saying that sending again is safe.
    /// </summary>
    public async Task<ProblemHttpResult?> Commit(HttpContext http, Func<IBus, Task> work, string what)
    {
        try
        {
            await using var transaction = Transactions.Begin();
            await work(Bus);
            await transaction.Complete();
            return null;
        }
        catch (Exception exception) when (!http.RequestAborted.IsCancellationRequested)
        {
            return CouldNotCommit(http, exception, what, $"The hub could not record {what} right now; send it again.");
        }
    }

    /// <summary>Logs why <paramref name="what"/> could not be committed and answers 503 with <c>Retry-After</c>.</summary>
    internal ProblemHttpResult CouldNotCommit(HttpContext http, Exception exception, string what, string detail)
    {
        http.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(Endpoint.GetType())
            .LogError(exception, "{Endpoint} could not commit {What}", Name, what);
        return Unavailable(http, detail);
    }

    /// <summary>503 with <c>Retry-After</c>: storage or the broker is away, and the caller may safely try again.</summary>
    public static ProblemHttpResult Unavailable(HttpContext http, string detail, int retryAfterSeconds = 5)
    {
        http.Response.Headers.RetryAfter = retryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(statusCode: StatusCodes.Status503ServiceUnavailable, title: "Try again later", detail: detail);
    }
}

/// <summary>The runtime of endpoint <typeparamref name="TEndpoint"/>, by type: what its HTTP API and singletons take.</summary>
public sealed class EndpointRuntime<TEndpoint>(EndpointRuntime runtime) where TEndpoint : HubEndpoint
{
    public EndpointRuntime Runtime => runtime;

    public string Name => runtime.Name;

    public HubOptions Options => runtime.Options;

    public IBus Bus => runtime.Bus;

    public HubTransactions Transactions => runtime.Transactions;

    public Departments.StatusResources Status => runtime.Status;

    /// <inheritdoc cref="EndpointRuntime.Commit"/>
    public Task<ProblemHttpResult?> Commit(HttpContext http, Func<IBus, Task> work, string what) => runtime.Commit(http, work, what);
}

/// <summary>The endpoints of this process by name, for health checks, tools and tests.</summary>
public sealed class HubBusRegistry
{
    readonly ConcurrentDictionary<string, EndpointRuntime> _endpoints = new(StringComparer.OrdinalIgnoreCase);

    public EndpointRuntime Runtime(string endpointName) => _endpoints.TryGetValue(endpointName, out var runtime)
        ? runtime
        : throw new InvalidOperationException($"There is no endpoint '{endpointName}' in this process.");

    public IBus Get(string endpointName) => Runtime(endpointName).Bus;

    public HubTransactions Transactions(string endpointName) => Runtime(endpointName).Transactions;

    public IReadOnlyCollection<EndpointRuntime> All => _endpoints.Values.ToList();

    public IReadOnlyCollection<string> Running => _endpoints.Values.Where(e => e.IsRunning).Select(e => e.Name).ToList();

    public IReadOnlyCollection<string> NotRunning => _endpoints.Values.Where(e => !e.IsRunning).Select(e => e.Name).ToList();

    internal void Add(EndpointRuntime runtime)
    {
        if (!_endpoints.TryAdd(runtime.Name, runtime) && !ReferenceEquals(_endpoints[runtime.Name], runtime))
            throw new InvalidOperationException($"Two endpoints named '{runtime.Name}' in one process: each endpoint runs once per process.");
    }
}
