using Microsoft.Extensions.Options;

namespace IntegrationHub.Hosting;

public enum HubTransport { InMemory, RabbitMq }

public enum HubPersistence { InMemory, PostgreSql }

/// <summary>The <c>Hub</c> configuration section (environment variables: <c>Hub__Transport</c>, ...).</summary>
public sealed class HubOptions
{
    public const string SectionName = "Hub";
    public const string DefaultRabbitMq = "amqp://guest:guest@127.0.0.1:5672/";
    // Loopback only, so without TLS (Npgsql would otherwise negotiate it with a local server that offers it).
    public const string DefaultPostgres = "Host=127.0.0.1;Port=5432;Username=hub;Password=hub;Database=hub;SSL Mode=Disable";

    public HubTransport Transport { get; set; } = HubTransport.InMemory;
    public HubPersistence Persistence { get; set; } = HubPersistence.InMemory;

    /// <summary><c>Quorum</c> (default) or <c>Classic</c> RabbitMQ queues.</summary>
    public string QueueType { get; set; } = "Quorum";

    /// <summary>How many unacknowledged messages the broker hands one endpoint instance at a time.</summary>
    public ushort Prefetch { get; set; } = 100;

    /// <summary>Rebus workers (threads) and how many messages each endpoint handles concurrently.</summary>
    public int Workers { get; set; } = 1;
    public int MaxParallelism { get; set; } = 32;

    public string ErrorQueue { get; set; } = "hub.error";

    public RetryOptions Retries { get; set; } = new();

    public OutboxOptions Outbox { get; set; } = new();

    /// <summary>Write logs as JSON (always on outside Development unless set to false).</summary>
    public bool? JsonLogs { get; set; }

    /// <summary>Resolved from <c>ConnectionStrings:RabbitMq</c> / <c>ConnectionStrings:Postgres</c>.</summary>
    public string RabbitMqConnectionString { get; set; } = DefaultRabbitMq;
    public string PostgresConnectionString { get; set; } = DefaultPostgres;

    public bool IsDurable => Transport == HubTransport.RabbitMq && Persistence == HubPersistence.PostgreSql;

    /// <summary>Values that cannot run, each naming its key under <paramref name="section"/> (<c>Hub</c> or <c>Hub:Endpoints:{Name}</c>).</summary>
    internal IEnumerable<string> Problems(string section)
    {
        if (Retries.ImmediateAttempts < 1) yield return $"{section}:Retries:ImmediateAttempts must be at least 1";
        if (QueueType is not ("Quorum" or "Classic")) yield return $"{section}:QueueType must be Quorum or Classic";
        if (Outbox.ParkAfter < TimeSpan.FromMinutes(1)) yield return $"{section}:Outbox:ParkAfter must be at least 00:01:00";
        if (Outbox.MaxPending < 1) yield return $"{section}:Outbox:MaxPending must be at least 1";
    }
}

public sealed class RetryOptions
{
    /// <summary>Attempts in a row, in process, before a message is handed to the delayed retries.</summary>
    public int ImmediateAttempts { get; set; } = 5;

    /// <summary>
    /// Delays between rounds of immediate attempts (default 10 s, 1 min, 5 min); after the last round the message
    /// goes to the error queue. <see cref="DelayedRetries"/> = false sends it there after the first round.
    /// </summary>
    public TimeSpan[]? Delays { get; set; }

    public bool DelayedRetries { get; set; } = true;

    internal IReadOnlyList<TimeSpan> EffectiveDelays => !DelayedRetries ? [] : Delays is { Length: > 0 } ? Delays : DefaultDelays;

    static readonly TimeSpan[] DefaultDelays = [TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(5)];
}

/// <summary>The <c>Hub:Outbox</c> section: how the outbox forwarder treats messages it cannot send.</summary>
public sealed class OutboxOptions
{
    /// <summary>How long a message may keep failing to be sent (retried with backoff meanwhile) before it is parked for operators.</summary>
    public TimeSpan ParkAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Unsent messages an endpoint may hold (the broker away, say) before its API refuses new work with 503 and its
    /// readiness fails: the outbox cannot grow without bound.
    /// </summary>
    public int MaxPending { get; set; } = 100_000;
}

/// <summary>The shared <c>Hub</c> settings' rules (<see cref="HubOptions.Problems"/>), every failing one reported.</summary>
internal sealed class HubOptionsValidation : IValidateOptions<HubOptions>
{
    public ValidateOptionsResult Validate(string? name, HubOptions options)
    {
        var problems = options.Problems(HubOptions.SectionName).ToList();
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
