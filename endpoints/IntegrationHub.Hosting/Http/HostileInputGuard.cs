using System.Net;
using System.Text.Unicode;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace IntegrationHub.Hosting.Http;

/// <summary>
/// Before any route: a path or query string that decodes to a NUL character or to bytes that are not UTF-8 is refused
/// with a problem (400), so that no route, store or log ever sees it.
/// </summary>
internal static class HostileInputGuard
{
    public static IApplicationBuilder UseHostileInputGuard(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        if (Refused(context.Request) is { } reason)
        {
            await TypedResults.Problem(statusCode: StatusCodes.Status400BadRequest, title: "Bad request", detail: reason).ExecuteAsync(context);
            return;
        }
        await next(context);
    });

    static string? Refused(HttpRequest request)
    {
        if (JsonBodies.HoldsNul(request.Path.Value))
            return "The path holds a NUL character.";
        var raw = request.QueryString.Value;
        if (string.IsNullOrEmpty(raw)) return null;
        foreach (var part in raw.TrimStart('?').Split('&'))
        {
            var encoded = System.Text.Encoding.UTF8.GetBytes(part);
            var bytes = WebUtility.UrlDecodeToBytes(encoded, 0, encoded.Length);
            if (!Utf8.IsValid(bytes))
                return "The query string is not valid UTF-8 once decoded.";
            if (bytes.Contains((byte)0))
                return "The query string holds a NUL character.";
        }
        return null;
    }
}
