using System.Security.Cryptography;

namespace IntegrationHub.Gateway.Api;

internal static class RequestIds
{
    /// <summary>Opaque, URL-safe and unguessable: <c>req_</c> + 128 random bits in hex.</summary>
    public static string New() => "req_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
}
