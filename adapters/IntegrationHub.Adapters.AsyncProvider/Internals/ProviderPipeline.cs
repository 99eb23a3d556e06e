using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;
using RestSharp;

namespace IntegrationHub.Adapters.AsyncProvider.Internals;

/// <summary>Retry (transient failures only, jittered backoff) → circuit breaker (per provider) → timeout (per attempt).</summary>
internal static class ProviderPipeline
{
    public static ResiliencePipeline<RestResponse> Build(string provider, AsyncProviderOptions options, TimeProvider time, ILogger logger)
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
                OnRetry = args =>
                {
                    logger.LogWarning("Provider {Provider}: attempt {Attempt} failed ({Outcome}); trying again in {Delay}",
                        provider, args.AttemptNumber + 1, Describe(args.Outcome), args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            });
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions<RestResponse>
        {
            ShouldHandle = args => ValueTask.FromResult(IsTransient(args.Outcome)),
            FailureRatio = resilience.BreakerFailureRatio,
            MinimumThroughput = resilience.BreakerMinimumThroughput,
            SamplingDuration = resilience.BreakerSamplingDuration,
            BreakDuration = resilience.BreakerBreakDuration,
            OnOpened = args =>
            {
                logger.LogError("Provider {Provider}: circuit opened after repeated failures ({Outcome}); no calls for {Break}",
                    provider, Describe(args.Outcome), args.BreakDuration);
                return ValueTask.CompletedTask;
            },
            OnClosed = _ =>
            {
                logger.LogInformation("Provider {Provider}: circuit closed, calls go through again", provider);
                return ValueTask.CompletedTask;
            },
        });
        builder.AddTimeout(options.CallTimeout);
        return builder.Build();
    }

    static bool IsTransient(Outcome<RestResponse> outcome) => outcome.Exception switch
    {
        null => ProviderAnswers.IsTransient(outcome.Result!),
        BrokenCircuitException => false,
        HttpRequestException or TimeoutRejectedException => true,
        _ => false,
    };

    // The status or the kind of failure only: never the provider's answer, which may echo personal data.
    static string Describe(Outcome<RestResponse> outcome) => outcome.Exception switch
    {
        null => $"HTTP {(int)outcome.Result!.StatusCode}",
        TimeoutRejectedException => "no answer in time",
        var exception => exception.GetType().Name,
    };
}
