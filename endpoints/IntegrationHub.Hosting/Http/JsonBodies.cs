using System.Text.Json;
using System.Text.Unicode;

namespace IntegrationHub.Hosting.Http;

/// <summary>
/// JSON bodies from outside (departments, providers, payment gateways…), refused whole when they could not be stored
/// or passed on as they are: not UTF-8, not JSON, nested too deep, an escaped lone surrogate, or a NUL character in any
/// string or name (PostgreSQL's text cannot hold one).
/// </summary>
public static class JsonBodies
{
    public const int MaxDepth = 64;

    /// <summary>The parsed body, or null with <paramref name="problem"/> saying why it is refused (position only, never content).</summary>
    public static JsonDocument? Parse(ReadOnlyMemory<byte> body, out string? problem)
    {
        if (body.Length == 0)
        {
            problem = "The body is empty; send a JSON object.";
            return null;
        }
        if (!Utf8.IsValid(body.Span))
        {
            problem = "The body is not valid UTF-8.";
            return null;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = MaxDepth });
        }
        catch (JsonException e)
        {
            problem = $"The body is not valid JSON: {e.Message}"; // the parser's message gives line and position, never content
            return null;
        }

        try
        {
            // Raw control characters are not valid JSON and the UTF-8 was checked: a NUL or a lone surrogate can only
            // come as a \u escape, so only a body with one is walked.
            if (body.Span.IndexOf("\\u"u8) >= 0 && HoldsNul(document.RootElement))
            {
                document.Dispose();
                problem = "The body holds a NUL character (\\u0000), which the hub does not accept in any text.";
                return null;
            }
        }
        catch (InvalidOperationException)
        {
            document.Dispose();
            problem = "The body holds an escaped character that is not valid Unicode (a lone surrogate).";
            return null;
        }
        problem = null;
        return document;
    }

    /// <summary>True when <paramref name="text"/> has a character the hub never stores (NUL) — for query strings and headers.</summary>
    public static bool HoldsNul(string? text) => text is not null && text.Contains('\0');

    static bool HoldsNul(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString()!.Contains('\0'),
        JsonValueKind.Object => element.EnumerateObject().Any(p => p.Name.Contains('\0') || HoldsNul(p.Value)),
        JsonValueKind.Array => element.EnumerateArray().Any(HoldsNul),
        _ => false,
    };
}
