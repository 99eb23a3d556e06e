using System.Security.Cryptography;
using System.Text;

namespace IntegrationHub.Adapters.Notifications;

/// <summary>
/// <c>X-Twilio-Signature</c> (formats.md §4): base64(HMAC-SHA1(auth token, the full URL Twilio called, query included,
/// then every POSTed parameter's name and value, names sorted ordinally)). Twilio signs the URL as it was configured, so
/// the URL is also tried with the default port added or removed. JSON webhooks instead carry <c>bodySHA256</c> in the
/// query, checked against the raw body.
/// </summary>
public static class TwilioSignature
{
    public const string Header = "X-Twilio-Signature";

    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> form)
    {
        var data = new StringBuilder(url);
        foreach (var (name, value) in form.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
            data.Append(name).Append(value);
        return Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(data.ToString())));
    }

    /// <summary>Null when <paramref name="signature"/> is Twilio's for this request under one of <paramref name="authTokens"/>; otherwise why not.</summary>
    public static string? Problem(string? signature, Uri url, IReadOnlyList<KeyValuePair<string, string>> form, IReadOnlyCollection<string> authTokens,
        byte[]? jsonBody = null)
    {
        if (string.IsNullOrEmpty(signature)) return $"no {Header} header";
        if (signature.Length > 128) return $"{Header} is too long";
        byte[] given;
        try { given = Convert.FromBase64String(signature); }
        catch (FormatException) { return $"{Header} is not base64"; }
        if (jsonBody is not null)
        {
            var query = System.Web.HttpUtility.ParseQueryString(url.Query);
            if (query["bodySHA256"] is not { } expected
                || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(jsonBody))),
                    Encoding.ASCII.GetBytes(expected.ToLowerInvariant())))
                return "bodySHA256 does not match the body";
        }
        foreach (var token in authTokens)
            foreach (var candidate in Candidates(url))
                if (CryptographicOperations.FixedTimeEquals(Convert.FromBase64String(Compute(token, candidate, jsonBody is null ? form : [])), given))
                    return null;
        return $"{Header} does not match the account's auth token";
    }

    static IEnumerable<string> Candidates(Uri url)
    {
        yield return url.OriginalString;
        var builder = new UriBuilder(url);
        if (url.IsDefaultPort)
        {
            yield return $"{url.Scheme}://{url.Host}:{url.Port}{url.PathAndQuery}";
        }
        else
        {
            builder.Port = -1;
            yield return builder.Uri.ToString();
        }
    }
}
