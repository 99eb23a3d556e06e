using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Webhooks.Storage;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>How one attempt went. <see cref="Final"/>: retrying cannot help (the policy refused the URL).</summary>
public sealed record AttemptOutcome(bool Delivered, int? StatusCode, string? Error, bool Final, TimeSpan Duration)
{
    public static AttemptOutcome Refused(string error) => new(false, null, error, true, TimeSpan.Zero);

    /// <summary>For the outbound call record: the status, or the error (which never holds the payload).</summary>
    public string Summary => Delivered ? $"delivered (HTTP {StatusCode})" : Error ?? $"HTTP {StatusCode}";
}

/// <summary>One HTTP attempt of a delivery: signed body, hub headers, 2xx = delivered. Never reads or logs the response body.</summary>
public sealed class WebhookSender(IHttpClientFactory httpClients, CallbackUrlPolicy policy, WebhookOptions options, TimeProvider time)
{
    public const string ClientName = "webhooks";
    public const string UserAgent = "IntegrationHub-Webhooks/1";
    public const string DeliveryIdHeader = "Hub-Delivery-Id";
    public const string EventHeader = "Hub-Event";

    public async Task<AttemptOutcome> Send(WebhookDelivery delivery, string secret, CancellationToken cancellationToken = default)
    {
        if (delivery.Url is null) return AttemptOutcome.Refused("no callback URL is registered for the department");
        if (policy.CheckUrl(delivery.Url) is { } refused) return AttemptOutcome.Refused(refused);

        var body = Encoding.UTF8.GetBytes(delivery.Payload);
        using var request = new HttpRequestMessage(HttpMethod.Post, delivery.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation(HubSignature.HeaderName, HubSignature.Create(secret, body, time.GetUtcNow()));
        request.Headers.TryAddWithoutValidation(DeliveryIdHeader, delivery.Id);
        request.Headers.TryAddWithoutValidation(EventHeader, delivery.EventType);
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);

        var stopwatch = Stopwatch.StartNew();
        try
        {
            using var response = await httpClients.CreateClient(ClientName)
                .SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            var code = (int)response.StatusCode;
            return response.IsSuccessStatusCode
                ? new AttemptOutcome(true, code, null, false, stopwatch.Elapsed)
                : new AttemptOutcome(false, code, $"the receiver answered {code} {response.ReasonPhrase}".TrimEnd(), false, stopwatch.Elapsed);
        }
        catch (HttpRequestException e) when (FindRefusal(e) is { } refusal)
        {
            return AttemptOutcome.Refused(refusal.Message);
        }
        catch (HttpRequestException e)
        {
            return new AttemptOutcome(false, null, $"no answer: {Innermost(e).Message}", false, stopwatch.Elapsed);
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return new AttemptOutcome(false, null, $"no answer within {options.AttemptTimeout.TotalSeconds:0.#} s", false, stopwatch.Elapsed);
        }
    }

    static CallbackUrlRefusedException? FindRefusal(Exception e)
    {
        for (Exception? current = e; current is not null; current = current.InnerException)
            if (current is CallbackUrlRefusedException refused) return refused;
        return null;
    }

    static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null) e = e.InnerException;
        return e;
    }
}
