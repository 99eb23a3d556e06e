using System.Text;
using System.Text.Json;

namespace IntegrationHub.Adapters.AsyncProvider.Internals;

internal static class ProviderRequestBody
{
    /// <summary><c>{ correlationId, service, payload, callbackUrl }</c>; the payload is the department's JSON, as is.</summary>
    public static string Write(ProviderRequest request, string provider)
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
                throw new ProviderUnavailableException(provider, ExternalFailure.Invalid, "the request's payload is not valid JSON", exception);
            }
            writer.WriteString("callbackUrl", request.CallbackUrl.ToString());
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
