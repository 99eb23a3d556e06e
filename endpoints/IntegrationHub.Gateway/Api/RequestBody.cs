using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using IntegrationHub.Hosting.Http;

namespace IntegrationHub.Gateway.Api;

/// <summary>A request body read within the size limit and checked field by field.</summary>
internal sealed record RequestBody(string Service, JsonElement Payload)
{
    public static RequestBody? Parse(byte[] body, Dictionary<string, string[]> errors)
    {
        using var document = JsonBodies.Parse(body, out var problem);
        if (document is null)
        {
            errors["body"] = [problem!];
            return null;
        }
        var root = document.RootElement.Clone();

        if (root.ValueKind != JsonValueKind.Object)
        {
            errors["body"] = ["The body must be a JSON object with 'service' and 'payload'."];
            return null;
        }

        string? service = null;
        if (!root.TryGetProperty("service", out var serviceElement) || serviceElement.ValueKind != JsonValueKind.String
            || string.IsNullOrWhiteSpace(service = serviceElement.GetString()))
            errors["service"] = ["'service' is required: the name of the service requested."];
        if (!root.TryGetProperty("payload", out var payload) || payload.ValueKind != JsonValueKind.Object)
            errors["payload"] = ["'payload' is required and must be a JSON object."];

        return errors.Count == 0 ? new RequestBody(service!, payload) : null;
    }

    /// <summary>Same service and same payload JSON (whitespace aside) give the same hash.</summary>
    public string Hash()
    {
        using var buffer = new MemoryStream();
        buffer.Write(Encoding.UTF8.GetBytes(Service));
        buffer.WriteByte(0);
        using (var writer = new Utf8JsonWriter(buffer))
            Payload.WriteTo(writer);
        return Convert.ToHexStringLower(SHA256.HashData(buffer.ToArray()));
    }
}
