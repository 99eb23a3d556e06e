using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;

namespace IntegrationHub.Adapters.Abdm.Callbacks;

internal enum KeyLookupOutcome { Found, Unpublished, Unavailable }

internal readonly record struct KeyLookup(KeyLookupOutcome Outcome, SecurityKey? Key = null);

/// <summary>
/// The gateway's signing keys, cached for <see cref="AbdmJwtOptions.JwksLifetime"/>. One fetch at a time, shared by every
/// caller waiting for it. After a fetch for an unknown kid, or a failed fetch, no fetch is made before
/// <see cref="AbdmJwtOptions.MinRefreshInterval"/> has passed. Expired keys are never used.
/// </summary>
internal sealed partial class GatewayKeys(AbdmJwtOptions options, HttpClient http, TimeProvider time, ILogger logger)
{
    sealed record KeySet(IReadOnlyDictionary<string, SecurityKey> Keys, DateTimeOffset FetchedAt);

    readonly SemaphoreSlim _fetchGate = new(1, 1);
    KeySet? _keys;
    long _completedFetches;
    // Written only while holding _fetchGate.
    bool _lastFetchFailed;
    DateTimeOffset _noFetchBefore = DateTimeOffset.MinValue;

    public async Task<KeyLookup> Find(string kid, CancellationToken cancellationToken)
    {
        // Read before the keys: if a fetch completes after this, the check under the gate sees it and does not repeat it.
        var fetchesSeen = Interlocked.Read(ref _completedFetches);
        if (Fresh(Volatile.Read(ref _keys)) is { } fresh && fresh.Keys.TryGetValue(kid, out var cached))
            return new KeyLookup(KeyLookupOutcome.Found, cached);

        await _fetchGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Interlocked.Read(ref _completedFetches) == fetchesSeen && time.GetUtcNow() >= _noFetchBefore)
                await Fetch(forUnknownKid: Fresh(_keys) is not null, cancellationToken).ConfigureAwait(false);
            return Lookup(kid);
        }
        finally
        {
            _fetchGate.Release();
        }
    }

    KeyLookup Lookup(string kid)
    {
        if (Fresh(_keys) is not { } keys)
            return new KeyLookup(KeyLookupOutcome.Unavailable);
        if (keys.Keys.TryGetValue(kid, out var key))
            return new KeyLookup(KeyLookupOutcome.Found, key);
        // Whether the gateway publishes the key now cannot be known while its key set cannot be fetched.
        return new KeyLookup(_lastFetchFailed ? KeyLookupOutcome.Unavailable : KeyLookupOutcome.Unpublished);
    }

    KeySet? Fresh(KeySet? keys) => keys is not null && time.GetUtcNow() - keys.FetchedAt < options.JwksLifetime ? keys : null;

    async Task Fetch(bool forUnknownKid, CancellationToken cancellationToken)
    {
        var startedAt = time.GetUtcNow();
        try
        {
            var keys = await GatewayJwks.Fetch(http, options.JwksUrl, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _keys, new KeySet(keys, startedAt));
            _lastFetchFailed = false;
            if (forUnknownKid)
                _noFetchBefore = startedAt + options.MinRefreshInterval;
            LogFetched(logger, keys.Count, forUnknownKid);
        }
        // Whatever stops the fetch (refused connection, reset, timeout, a handler's own fault) refuses the call that needed the keys:
        // an exception here would answer the gateway 500 instead of a clear refusal.
        catch (Exception e) when (!(e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            _lastFetchFailed = true;
            _noFetchBefore = startedAt + options.MinRefreshInterval;
            LogFetchFailed(logger, e is GatewayJwksUnusableException ? e.Message : e.GetType().Name, options.MinRefreshInterval);
        }
        // A fetch the caller cancelled is not counted, so whoever waits behind it makes its own.
        Interlocked.Increment(ref _completedFetches);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched the ABDM gateway's keys: {Count} RS256 signing key(s) (for an unknown key id: {ForUnknownKid})")]
    static partial void LogFetched(ILogger logger, int count, bool forUnknownKid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The ABDM gateway's keys could not be fetched ({Reason}); gateway calls that need them are refused, next try in {RetryAfter} at the earliest")]
    static partial void LogFetchFailed(ILogger logger, string reason, TimeSpan retryAfter);
}
