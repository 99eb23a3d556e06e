using System.Globalization;
using System.Text.Json.Nodes;

namespace IntegrationHub.Adapters.Abdm.Gateway;

/// <summary>Bodies written in the v3 shape, turned into the deployment's generation.</summary>
public static class AbdmBodies
{
    /// <summary>
    /// The JSON of <paramref name="v3Body"/> for <paramref name="version"/>: v3 as given; v0.5 a copy with <c>requestId</c>
    /// and <c>timestamp</c> first and a top-level <c>response</c> renamed <c>resp</c>. <paramref name="v3Body"/> is left as it is.
    /// </summary>
    public static string ForVersion(JsonObject v3Body, AbdmApiVersion version, string requestId, DateTimeOffset timestamp)
    {
        ArgumentNullException.ThrowIfNull(v3Body);
        if (version == AbdmApiVersion.V3)
            return v3Body.ToJsonString();

        var v05 = new JsonObject { ["requestId"] = requestId, ["timestamp"] = Timestamp(timestamp) };
        foreach (var (name, value) in v3Body)
        {
            if (name is "requestId" or "timestamp")
                continue;
            v05[name == "response" ? "resp" : name] = value?.DeepClone();
        }
        return v05.ToJsonString();
    }

    /// <summary>ABDM's timestamp: UTC, milliseconds, <c>Z</c> (<c>2022-10-06T15:10:00.587Z</c>).</summary>
    public static string Timestamp(DateTimeOffset timestamp) =>
        timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
