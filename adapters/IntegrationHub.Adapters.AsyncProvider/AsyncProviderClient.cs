using System.Net;
using IntegrationHub.Adapters.AsyncProvider.Internals;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Timeout;
using RestSharp;

namespace IntegrationHub.Adapters.AsyncProvider;

/// <summary>
/// The typed client of one asynchronous provider (docs/providers.md): <c>POST {BaseUrl}/requests</c> with the request's
/// correlation id as idempotency key, and — where the provider offers it — <c>GET {BaseUrl}/requests/{correlationId}</c>.
/// Every call goes through the provider's resilience pipeline: a timeout per attempt, retries with jittered backoff for
/// transient failures only (5xx, 408, 429, timeouts, connection errors) and a circuit breaker shared by all calls to
/// this provider. Failures are the hub's kinds (<see cref="ExternalFailure"/>); logs never carry payloads or answers.
/// Keep one instance per provider (<see cref="AsyncProviderClients"/>).
/// </summary>
public sealed class AsyncProviderClient : IDisposable
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    readonly string _name;
    readonly AsyncProviderOptions _options;
    readonly RestClient _client;
    readonly OAuth2TokenSource? _tokens;
    readonly ResiliencePipeline<RestResponse> _pipeline;

    public AsyncProviderClient(string name, AsyncProviderOptions options, TimeProvider? time = null, ILogger? logger = null)
    {
        _name = name;
        _options = options;
        if (options.BaseUrl is null) throw new ArgumentException($"Provider {name} has no BaseUrl", nameof(options));
        _client = new RestClient(new RestClientOptions(options.RequestsBase) { Timeout = Timeout.InfiniteTimeSpan }); // the pipeline times attempts out
        time ??= TimeProvider.System;
        if (options.Auth.Type == AsyncProviderAuthTypes.OAuth2)
            _tokens = new OAuth2TokenSource(options.Auth, _client, time);
        _pipeline = ProviderPipeline.Build(name, options, time, logger ?? NullLogger.Instance);
    }

    public string Name => _name;

    public bool OffersStatusQuery => _options.StatusQuery;

    /// <summary>
    /// Asks the provider to handle <paramref name="request"/>. Returns whether it accepted or refused (a 4xx other than
    /// 401, 408 and 429: retrying cannot help); throws <see cref="ProviderUnavailableException"/> for every other failure.
    /// </summary>
    public async Task<ProviderSubmission> Submit(ProviderRequest request, CancellationToken cancellationToken = default)
    {
        var body = ProviderRequestBody.Write(request, _name);
        var response = await Execute(() => new RestRequest("requests", Method.Post)
            .AddStringBody(body, ContentType.Json)
            .AddHeader(IdempotencyKeyHeader, request.CorrelationId), cancellationToken);
        var status = (int)response.StatusCode;
        return status is >= 200 and < 300
            ? ProviderSubmission.Accept(status)
            : ProviderSubmission.Refuse(status, ProviderAnswers.RefusalReason(response));
    }

    /// <summary>
    /// What the provider knows of <paramref name="correlationId"/>: accepted (it has the request) or null (it has none,
    /// or it offers no status query). Transient failures throw like <see cref="Submit"/>.
    /// </summary>
    public async Task<ProviderSubmission?> Status(string correlationId, CancellationToken cancellationToken = default)
    {
        if (!_options.StatusQuery) return null;
        var response = await Execute(() => new RestRequest($"requests/{Uri.EscapeDataString(correlationId)}"), cancellationToken);
        return response.StatusCode switch
        {
            HttpStatusCode.NotFound or HttpStatusCode.Gone => null,
            _ when (int)response.StatusCode is >= 200 and < 300 => ProviderSubmission.Accept((int)response.StatusCode),
            _ => throw new ProviderUnavailableException(_name, ExternalFailure.Unavailable, $"its status query answered HTTP {(int)response.StatusCode}"),
        };
    }

    async Task<RestResponse> Execute(Func<RestRequest> request, CancellationToken cancellationToken)
    {
        RestResponse response;
        try
        {
            response = await _pipeline.ExecuteAsync(async ct => await Attempt(request, ct), cancellationToken);
        }
        catch (BrokenCircuitException exception)
        {
            throw new ProviderUnavailableException(_name, ExternalFailure.CircuitOpen, "its circuit is open after repeated failures", exception);
        }
        catch (TimeoutRejectedException exception)
        {
            throw new ProviderUnavailableException(_name, ExternalFailure.TimedOut, $"no answer within {_options.CallTimeout.TotalSeconds:0.###} s", exception);
        }
        catch (HttpRequestException exception)
        {
            throw new ProviderUnavailableException(_name, ExternalFailure.Unavailable, exception.Message, exception);
        }

        var status = (int)response.StatusCode;
        if (ProviderAnswers.IsTransient(response))
            throw new ProviderUnavailableException(_name, ExternalFailure.Unavailable, status == 0
                ? response.ErrorMessage ?? "no response"
                : $"it answered HTTP {status} after {_options.Resilience.MaxAttempts} attempt(s)", response.ErrorException);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
            throw new ProviderUnavailableException(_name, ExternalFailure.Unauthorized,
                "it answered HTTP 401: check the provider's Auth settings (key, client id and secret)");
        return response;
    }

    async Task<RestResponse> Attempt(Func<RestRequest> request, CancellationToken cancellationToken)
    {
        var (response, token) = await Send(request(), cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized && _tokens is not null && token is not null)
        {
            _tokens.Reject(token);
            (response, _) = await Send(request(), cancellationToken);
        }
        return response;
    }

    async Task<(RestResponse, string?)> Send(RestRequest request, CancellationToken cancellationToken)
    {
        string? token = null;
        switch (_options.Auth.Type)
        {
            case AsyncProviderAuthTypes.ApiKey:
                request.AddHeader(_options.Auth.Header, _options.Auth.ApiKey ?? "");
                break;
            case AsyncProviderAuthTypes.OAuth2:
                token = await _tokens!.Get(cancellationToken);
                request.AddHeader("Authorization", "Bearer " + token);
                break;
        }

        var response = await _client.ExecuteAsync(request, cancellationToken);
        // RestSharp reports a cancelled call as a response: the pipeline's timeout must see the cancellation.
        cancellationToken.ThrowIfCancellationRequested();
        return (response, token);
    }

    public void Dispose() => _client.Dispose();
}
