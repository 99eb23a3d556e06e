using System.Text;
using System.Text.Json;

namespace IntegrationHub.Adapters.JazzCash;

/// <summary>Reads JazzCash's flat <c>pp_*</c> messages (JSON objects of strings, or form posts) without ever throwing.</summary>
internal static class JazzCashFields
{
    const int MaxFields = 200;
    static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public static Dictionary<string, string?>? FromJson(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 });
            return Flat(json.RootElement);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The one object inside a wrapper such as <c>{"RefundRequest": {…}}</c>.</summary>
    public static Dictionary<string, string?>? Unwrap(byte[] body)
    {
        try
        {
            using var json = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 4 });
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.EnumerateObject().SingleOrDefault() is { Value.ValueKind: JsonValueKind.Object } only
                ? Flat(only.Value)
                : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    static Dictionary<string, string?>? Flat(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object) return null;
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
        {
            if (fields.Count >= MaxFields || fields.ContainsKey(property.Name)) return null; // a field twice is ambiguous: refused
            fields[property.Name] = property.Value.ValueKind switch
            {
                JsonValueKind.String => property.Value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => property.Value.GetRawText(),
                _ => null,
            };
        }
        return fields;
    }

    public static Dictionary<string, string?>? FromForm(byte[] body)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return null;
        }
        var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var pair in text.Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            if (fields.Count >= MaxFields) return null;
            var equals = pair.IndexOf('=');
            var name = Decode(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
            if (name is null || value is null || fields.ContainsKey(name)) return null; // a field twice is ambiguous: refused
            fields[name] = value;
        }
        return fields;
    }

    static string? Decode(string part)
    {
        try
        {
            var decoded = Uri.UnescapeDataString(part.Replace('+', ' '));
            return decoded.Contains('\0') ? null : decoded;
        }
        catch (UriFormatException)
        {
            return null;
        }
    }
}
