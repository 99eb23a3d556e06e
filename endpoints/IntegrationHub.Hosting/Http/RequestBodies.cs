using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace IntegrationHub.Hosting.Http;

public static class RequestBodies
{
    /// <summary>
    /// The body, or null when it is larger than <paramref name="maxBytes"/> (it is never read further than that). The
    /// route's limit replaces the server's own (Kestrel's 30 MB), so a larger route limit is not cut short by a server
    /// error, and a smaller one answers 413 like every other.
    /// </summary>
    public static async Task<byte[]?> ReadLimited(HttpRequest request, int maxBytes)
    {
        if (request.ContentLength > maxBytes)
            return null;
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = maxBytes + 1L;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        try
        {
            while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
            {
                if (buffer.Length + read > maxBytes)
                    return null;
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        return buffer.ToArray();
    }

    /// <summary>413, as every route answers a body over its limit.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult TooLarge(int maxBytes, string what = "body") =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large",
            detail: $"The {what} is too large: this route accepts at most {maxBytes} bytes.");
}
