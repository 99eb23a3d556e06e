using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace IntegrationHub.Adapters.Abdm.Registry;

/// <summary>
/// GETs FHIR resources from the department's server: one timeout per request, bodies capped, and every failure an
/// <see cref="HttpRequestException"/> naming what went wrong but never the query (it holds identifiers) nor the answer.
/// </summary>
sealed class FhirRegistryClient
{
    public const int MaxBodyBytes = 5 * 1024 * 1024;
    const string FhirJson = "application/fhir+json";

    readonly FhirRegistryOptions _options;
    readonly HttpClient _http;
    readonly Uri _base;

    public FhirRegistryClient(FhirRegistryOptions options, HttpClient http)
    {
        _options = options;
        _http = http;
        // "fhir" and "fhir/" alike: relative references resolve under the base only when it ends with a slash.
        var baseUrl = options.BaseUrl.AbsoluteUri;
        _base = new Uri(baseUrl.EndsWith('/') ? baseUrl : baseUrl + "/");
    }

    /// <summary>A search's first page.</summary>
    public async Task<JsonElement> Search(string relativeUri, CancellationToken cancellationToken) =>
        await Get(relativeUri, "Bundle", absentIsNull: false, cancellationToken)
        ?? throw new InvalidOperationException("A search never answers absent.");

    /// <summary>A resource read by id, or null when the server has no such resource (404, 410).</summary>
    public Task<JsonElement?> Read(string relativeUri, string resourceType, CancellationToken cancellationToken) =>
        Get(relativeUri, resourceType, absentIsNull: true, cancellationToken);

    async Task<JsonElement?> Get(string relativeUri, string resourceType, bool absentIsNull, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_base, relativeUri));
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue(FhirJson));
        if (!string.IsNullOrEmpty(_options.BearerToken))
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _options.BearerToken);

        using var response = await Guarded(() => _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token),
            "The registry's FHIR server could not be reached", cancellationToken);
        if (absentIsNull && response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone)
            return null;
        if (!response.IsSuccessStatusCode)
            throw new HttpRequestException(
                $"The registry's FHIR server answered HTTP {(int)response.StatusCode} ({response.StatusCode})", null, response.StatusCode);
        var body = await Guarded(() => ReadCapped(response.Content, timeout.Token), "The registry's FHIR server's answer broke off", cancellationToken)
            ?? throw new HttpRequestException($"The registry's FHIR server answered more than {MaxBodyBytes / (1024 * 1024)} MB");
        return Parse(body, resourceType);
    }

    /// <summary>Runs one step of the exchange, turning a timeout or a broken connection into an <see cref="HttpRequestException"/>.</summary>
    async Task<T> Guarded<T>(Func<Task<T>> step, string brokenMessage, CancellationToken callersToken)
    {
        try
        {
            return await step();
        }
        catch (OperationCanceledException e) when (!callersToken.IsCancellationRequested)
        {
            throw new HttpRequestException($"The registry's FHIR server did not answer within {_options.Timeout.TotalSeconds:0.###} s", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            // The inner exception names the connection failure (host and port), never the query string.
            throw new HttpRequestException(brokenMessage, e);
        }
    }

    /// <summary>The body, or null when it is larger than <see cref="MaxBodyBytes"/>.</summary>
    static async Task<byte[]?> ReadCapped(HttpContent content, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength > MaxBodyBytes)
            return null;
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81_920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    static JsonElement Parse(byte[] body, string resourceType)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("resourceType", out var type) && type.ValueKind == JsonValueKind.String
                && type.GetString() == resourceType)
                return root.Clone();
        }
        catch (JsonException)
        {
        }
        throw new HttpRequestException($"The registry's FHIR server answered something that is not a FHIR {resourceType}");
    }
}
