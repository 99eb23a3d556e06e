using System.Text;
using System.Text.Json;
using WireMock;
using WireMock.ResponseBuilders;
using WireMock.Types;
using WireMock.Util;

namespace IntegrationHub.Adapters.Payments.Simulator;

/// <summary>What both simulators need from a WireMock request and for their answers.</summary>
internal static class SimulatedRequests
{
    public static string Body(IRequestMessage request) => request.Body ?? (request.BodyAsBytes is { } bytes ? Encoding.UTF8.GetString(bytes) : "");

    /// <summary>A form body or query string, names and values decoded, the last value of a name kept.</summary>
    public static Dictionary<string, string> Form(string text)
    {
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in text.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=');
            fields[Decode(equals < 0 ? pair : pair[..equals])] = equals < 0 ? "" : Decode(pair[(equals + 1)..]);
        }
        return fields;
    }

    static string Decode(string part) => Uri.UnescapeDataString(part.Replace('+', ' '));

    public static string? Header(IRequestMessage request, string name) =>
        request.Headers?.FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();

    public static ResponseMessage Json(int status, object body) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("application/json; charset=utf-8") },
        BodyData = new BodyData { BodyAsString = body as string ?? JsonSerializer.Serialize(body), DetectedBodyType = BodyType.String },
    };

    public static ResponseMessage Html(int status, string html) => new()
    {
        StatusCode = status,
        Headers = new Dictionary<string, WireMockList<string>> { ["Content-Type"] = new("text/html; charset=utf-8") },
        BodyData = new BodyData { BodyAsString = html, DetectedBodyType = BodyType.String },
    };
}
