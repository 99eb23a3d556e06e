using System.Net;
using System.Text.Json;
using RestSharp;

namespace IntegrationHub.Adapters.AsyncProvider.Internals;

/// <summary>
/// OAuth2 client-credentials tokens for one provider, fetched once and reused until shortly before they expire.
/// A failure to get a token is thrown as <see cref="HttpRequestException"/>, so the call is retried like any transient failure.
/// </summary>
internal sealed class OAuth2TokenSource(AsyncProviderAuthOptions auth, RestClient client, TimeProvider time)
{
    static readonly TimeSpan RefreshBeforeExpiry = TimeSpan.FromSeconds(30);
    readonly SemaphoreSlim _lock = new(1, 1);
    string? _token;
    DateTimeOffset _refreshAt;

    public async Task<string> Get(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_token is null || time.GetUtcNow() >= _refreshAt)
                (_token, _refreshAt) = await Fetch(cancellationToken);
            return _token;
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Forgets <paramref name="rejected"/> (the provider answered 401 with it), unless a newer one already replaced it.</summary>
    public void Reject(string rejected)
    {
        _lock.Wait();
        try
        {
            if (_token == rejected) _token = null;
        }
        finally
        {
            _lock.Release();
        }
    }

    async Task<(string, DateTimeOffset)> Fetch(CancellationToken cancellationToken)
    {
        var request = new RestRequest(auth.TokenUrl!, Method.Post)
            .AddParameter("grant_type", "client_credentials")
            .AddParameter("client_id", auth.ClientId ?? "")
            .AddParameter("client_secret", auth.ClientSecret ?? "");
        if (!string.IsNullOrWhiteSpace(auth.Scope))
            request.AddParameter("scope", auth.Scope);

        var response = await client.ExecuteAsync(request, cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        if (response.StatusCode != HttpStatusCode.OK || string.IsNullOrEmpty(response.Content))
            throw new HttpRequestException(
                $"The token endpoint answered {(int)response.StatusCode} {response.ErrorMessage}".TrimEnd(), response.ErrorException);

        using var json = JsonDocument.Parse(response.Content);
        var token = json.RootElement.TryGetProperty("access_token", out var t) && t.ValueKind == JsonValueKind.String
            ? t.GetString()!
            : throw new HttpRequestException("The token endpoint's answer has no access_token");
        var lifetime = TimeSpan.FromSeconds(json.RootElement.TryGetProperty("expires_in", out var e) && e.TryGetInt32(out var seconds) ? seconds : 3600);
        var margin = lifetime > RefreshBeforeExpiry * 2 ? RefreshBeforeExpiry : lifetime / 2;
        return (token, time.GetUtcNow() + lifetime - margin);
    }
}
