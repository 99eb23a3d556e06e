using System.Net;
using System.Text;
using System.Text.Json;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using RestSharp;

namespace IntegrationHub.Adapters.AsyncProvider;

/// <summary>
/// Sends requests to one asynchronous provider (<c>POST {BaseUrl}/requests</c>, see docs/providers.md) through its
/// resilience pipeline: a timeout per attempt, retries with jittered backoff for transient failures (5xx, 408, 429,
/// timeouts, connection errors) and a circuit breaker shared by all calls to this provider. Keep one instance per provider.
/// </summary>
public sealed class AsyncProviderClient : IDisposable
{
    const int MaxReasonLength = 500;
    readonly string _name;
    readonly AsyncProviderOptions _options;
    readonly RestClient _client;
    readonly OAuth2TokenSource? _tokens;
    readonly ResiliencePipeline<RestResponse> _pipeline;

    public AsyncProviderClient(string name, AsyncProviderOptions options, TimeProvider? time = null, HttpMessageHandler? handler = null)
    {
        _name = name;
        _options = options;
        var baseUrl = options.BaseUrl ?? throw new ArgumentException($"Provider {name} has no BaseUrl", nameof(options));
        var clientOptions = new RestClientOptions(baseUrl) { Timeout = Timeout.InfiniteTimeSpan }; // the pipeline times attempts out
        if (handler is not null)
            clientOptions.ConfigureMessageHandler = _ => handler;
        _client = new RestClient(clientOptions);
        time ??= TimeProvider.System;
        if (options.Auth.Type == AsyncProviderAuthTypes.OAuth2)
            _tokens = new OAuth2TokenSource(options.Auth, _client, time);
        _pipeline = BuildPipeline(options, time);
    }

    public string Name => _name;

    /// <summary>
    /// Asks the provider to handle <paramref name="request"/>. Returns whether it accepted or refused (a 4xx other than
    /// 408/429: retrying cannot help); throws <see cref="ProviderUnavailableException"/> when it stays unreachable or failing,
    /// and <see cref="ArgumentException"/> when the payload is not JSON.
    /// </summary>
    public async Task<ProviderSubmission> Submit(ProviderRequest request, CancellationToken cancellationToken = default)
    {
        var body = Body(request);
        RestResponse response;
        try
        {
            response = await _pipeline.ExecuteAsync(async ct => await Attempt(body, ct), cancellationToken);
        }
        catch (BrokenCircuitException exception)
        {
            throw new ProviderUnavailableException(_name, "its circuit is open after repeated failures", exception);
        }
        catch (TimeoutRejectedException exception)
        {
            throw new ProviderUnavailableException(_name, $"no answer within {_options.CallTimeout.TotalSeconds:0.###} s", exception);
        }
        catch (HttpRequestException exception)
        {
            throw new ProviderUnavailableException(_name, exception.Message, exception);
        }

        var status = (int)response.StatusCode;
        if (IsTransient(response))
            throw new ProviderUnavailableException(_name, status == 0
                ? response.ErrorMessage ?? "no response"
                : $"it answered HTTP {status} after {_options.Resilience.MaxAttempts} attempt(s)", response.ErrorException);
        return status is >= 200 and < 300
            ? ProviderSubmission.Accept(status)
            : ProviderSubmission.Refuse(status, RefusalReason(response));
    }

    async Task<RestResponse> Attempt(string body, CancellationToken cancellationToken)
    {
        var (response, token) = await Send(body, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Unauthorized && _tokens is not null && token is not null)
        {
            _tokens.Reject(token);
            (response, _) = await Send(body, cancellationToken);
        }
        return response;
    }

    async Task<(RestResponse, string?)> Send(string body, CancellationToken cancellationToken)
    {
        var request = new RestRequest("requests", Method.Post).AddStringBody(body, ContentType.Json);
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

    static string Body(ProviderRequest request)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("correlationId", request.CorrelationId);
            writer.WriteString("service", request.Service);
            writer.WritePropertyName("payload");
            try
            {
                writer.WriteRawValue(request.Payload);
            }
            catch (JsonException exception)
            {
                throw new ArgumentException("The request's payload is not valid JSON", nameof(request), exception);
            }
            writer.WriteString("callbackUrl", request.CallbackUrl.ToString());
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    static bool IsTransient(RestResponse response) =>
        response.StatusCode == 0 || (int)response.StatusCode >= 500
        || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    static bool IsTransient(Outcome<RestResponse> outcome) => outcome.Exception switch
    {
        null => IsTransient(outcome.Result!),
        BrokenCircuitException => false,
        HttpRequestException or TimeoutRejectedException => true,
        _ => false,
    };

    /// <summary>The provider's reason from a problem+json or <c>{"error"|"message": ...}</c> body, else the status.</summary>
    static string RefusalReason(RestResponse response)
    {
        var fallback = $"HTTP {(int)response.StatusCode}";
        if (string.IsNullOrWhiteSpace(response.Content)) return fallback;
        try
        {
            using var json = JsonDocument.Parse(response.Content);
            if (json.RootElement.ValueKind == JsonValueKind.Object)
                foreach (var property in new[] { "detail", "error_description", "error", "message", "title" })
                    if (json.RootElement.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String
                        && value.GetString() is { Length: > 0 } reason)
                        return Truncate($"{fallback}: {reason}");
        }
        catch (JsonException)
        {
            // not JSON: the text itself is the reason
        }
        return Truncate($"{fallback}: {response.Content.Trim()}");
    }

    static string Truncate(string value) => value.Length <= MaxReasonLength ? value : value[..MaxReasonLength] + "…";

    static ResiliencePipeline<RestResponse> BuildPipeline(AsyncProviderOptions options, TimeProvider time)
    {
        var resilience = options.Resilience;
        var builder = new ResiliencePipelineBuilder<RestResponse> { TimeProvider = time };
        if (resilience.MaxAttempts > 1)
            builder.AddRetry(new RetryStrategyOptions<RestResponse>
            {
                ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
                MaxRetryAttempts = resilience.MaxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = resilience.RetryDelay,
            });
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<RestResponse>
        {
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
            FailureRatio = resilience.BreakerFailureRatio,
            MinimumThroughput = resilience.BreakerMinimumThroughput,
            SamplingDuration = resilience.BreakerSamplingDuration,
            BreakDuration = resilience.BreakerBreakDuration,
        });
        builder.AddTimeout(options.CallTimeout);
        return builder.Build();
    }

    public void Dispose() => _client.Dispose();
}
