using IntegrationHub.Adapters.Fhir;
using Microsoft.Net.Http.Headers;

namespace IntegrationHub.Clinical.Api;

/// <summary>FHIR's media types (and their <c>_format</c> short forms), read from Content-Type, Accept and query strings.</summary>
internal static class FhirMedia
{
    public const string Json = "application/fhir+json";
    public const string Xml = "application/fhir+xml";

    /// <summary>The format a media type or short form names: FHIR's own, plain JSON and XML, <c>json</c> and <c>xml</c>.</summary>
    public static FhirFormat? Named(string? mediaType) => mediaType?.Trim().ToLowerInvariant() switch
    {
        Json or "application/json" or "json" => FhirFormat.Json,
        Xml or "application/xml" or "text/xml" or "xml" => FhirFormat.Xml,
        _ => null,
    };

    /// <summary>The format of the body, by its Content-Type (parameters such as <c>charset</c> aside).</summary>
    public static FhirFormat? OfBody(HttpRequest request) =>
        MediaTypeHeaderValue.TryParse(request.ContentType, out var type) ? Named(type.MediaType.Value) : null;

    /// <summary>The FHIR format the Accept header prefers, or null when it names none (absent, <c>*/*</c>, others only).</summary>
    public static FhirFormat? Accepted(HttpRequest request) =>
        MediaTypeHeaderValue.TryParseList(request.Headers.Accept, out var accepted)
            ? accepted.Where(a => a.Quality is not 0)
                .OrderByDescending(a => a.Quality ?? 1)
                .Select(a => Named(a.MediaType.Value))
                .FirstOrDefault(f => f is not null)
            : null;

    public static string ContentType(FhirFormat format) => (format == FhirFormat.Json ? Json : Xml) + "; charset=utf-8";
}
