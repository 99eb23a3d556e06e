using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Hosting.Http;

public static class RequestBodies
{
    /// <summary>The body, or null when it is larger than <paramref name="maxBytes"/> (it is never read further than that).</summary>
    public static async Task<byte[]?> ReadLimited(HttpRequest request, int maxBytes)
    {
        if (request.ContentLength > maxBytes)
            return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > maxBytes)
                return null;
            buffer.Write(chunk, 0, read);
        }
        return buffer.ToArray();
    }

    /// <summary>413, as every route answers a body over its limit.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult TooLarge(int maxBytes, string what = "body") =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large",
            detail: $"The {what} is too large: this route accepts at most {maxBytes} bytes.");
}
