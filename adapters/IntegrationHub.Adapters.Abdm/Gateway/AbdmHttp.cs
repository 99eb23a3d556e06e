using System.Text;

namespace IntegrationHub.Adapters.Abdm.Gateway;

/// <summary>What the gateway answered: the status and at most <see cref="AbdmHttp.MaxBody"/> bytes of body (null when longer).</summary>
internal sealed record AbdmReply(int Status, byte[]? Body)
{
    public bool IsSuccess => Status is >= 200 and < 300;
}

/// <summary>The HTTP plumbing the session and the calls share: headers, one bounded exchange, no answer thrown as unavailable.</summary>
internal static class AbdmHttp
{
    public const int MaxBody = 64 * 1024;

    public static HttpRequestMessage Request(HttpMethod method, Uri url, string json) =>
        new(method, url) { Content = new StringContent(json, Encoding.UTF8, "application/json") };

    /// <summary><c>X-CM-ID</c>, and in v3 the correlation headers <c>REQUEST-ID</c> and <c>TIMESTAMP</c>.</summary>
    public static void AddGatewayHeaders(HttpRequestMessage request, AbdmGatewayOptions options, string requestId, DateTimeOffset timestamp)
    {
        request.Headers.TryAddWithoutValidation("X-CM-ID", options.CmId);
        if (options.ApiVersion != AbdmApiVersion.V3)
            return;
        request.Headers.TryAddWithoutValidation("REQUEST-ID", requestId);
        request.Headers.TryAddWithoutValidation("TIMESTAMP", AbdmBodies.Timestamp(timestamp));
    }

    /// <summary>
    /// Sends <paramref name="request"/> and reads its answer within <see cref="AbdmGatewayOptions.Timeout"/>. No answer (a
    /// timeout, a refused connection, a broken stream) is thrown as <see cref="AbdmGatewayUnavailableException"/>; the
    /// caller's own cancellation stays an <see cref="OperationCanceledException"/>.
    /// </summary>
    public static async Task<AbdmReply> Exchange(HttpClient http, HttpRequestMessage request, AbdmOutbound call,
        AbdmGatewayOptions options, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(options.Timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, linked.Token);
            var body = await ReadAtMost(response.Content, MaxBody, linked.Token);
            return new AbdmReply((int)response.StatusCode, body);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new AbdmGatewayUnavailableException($"The ABDM gateway did not answer {call} within {options.Timeout.TotalSeconds:0.###} s");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            throw new AbdmGatewayUnavailableException($"The ABDM gateway could not be reached for {call}", e);
        }
    }

    /// <summary>The body when it holds at most <paramref name="max"/> bytes; null (and the rest left unread) when longer.</summary>
    static async Task<byte[]?> ReadAtMost(HttpContent content, int max, CancellationToken cancellationToken)
    {
        if (content.Headers.ContentLength is { } declared && (declared == 0 || declared > max))
            return declared == 0 ? [] : null;
        await using var stream = await content.ReadAsStreamAsync(cancellationToken);
        using var body = new MemoryStream();
        var chunk = new byte[8 * 1024];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            body.Write(chunk, 0, read);
            if (body.Length > max)
                return null;
        }
        return body.ToArray();
    }
}
