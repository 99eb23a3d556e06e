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
            var bytes = PercentDecoded(part.Replace('+', ' '));
            if (!Utf8.IsValid(bytes))
                return "The query string is not valid UTF-8 once decoded.";
            if (bytes.Contains((byte)0))
                return "The query string holds a NUL character.";
        }
        return null;
    }

    static byte[] PercentDecoded(string text)
    {
        var bytes = new List<byte>(text.Length);
        var literal = 0; // start of the run of characters that are not %XX
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '%' || i + 2 >= text.Length || !Uri.IsHexDigit(text[i + 1]) || !Uri.IsHexDigit(text[i + 2]))
                continue;
            bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(text[literal..i]));
            bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
            i += 2;
            literal = i + 1;
        }
        bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(text[literal..]));
        return bytes.ToArray();
    }
}
