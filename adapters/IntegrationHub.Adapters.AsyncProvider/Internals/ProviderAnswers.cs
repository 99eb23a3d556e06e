using System.Net;
using System.Text.Json;
using RestSharp;

namespace IntegrationHub.Adapters.AsyncProvider.Internals;

/// <summary>How the adapter reads a provider's answers.</summary>
internal static class ProviderAnswers
{
    const int MaxReasonLength = 500;

    public static bool IsTransient(RestResponse response) =>
        response.StatusCode == 0 || (int)response.StatusCode >= 500
        || response.StatusCode is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests;

    /// <summary>The provider's reason from a problem+json or <c>{"error"|"message": ...}</c> body, else the status.</summary>
    public static string RefusalReason(RestResponse response)
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
}
