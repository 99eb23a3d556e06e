using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Hosting.Departments;

/// <summary>The <c>Idempotency-Key</c> header of the department contract, on any POST that creates a status resource.</summary>
public static class IdempotencyKeys
{
    public const string Header = "Idempotency-Key";
    public const string ReplayedHeader = "Idempotent-Replayed";
    public const int MaxLength = 255;

    /// <summary>The key, or null when none was sent; a key that is empty, too long or not printable ASCII is an error.</summary>
    public static string? Read(HttpRequest request, IDictionary<string, string[]> errors)
    {
        if (!request.Headers.TryGetValue(Header, out var values)) return null;
        var key = values.ToString();
        if (values.Count != 1 || key.Length is 0 or > MaxLength || key.Any(c => c is < '\x20' or > '\x7e'))
        {
            errors[Header] = [$"The {Header} header must be one value of 1 to {MaxLength} printable ASCII characters."];
            return null;
        }
        return key;
    }
}
