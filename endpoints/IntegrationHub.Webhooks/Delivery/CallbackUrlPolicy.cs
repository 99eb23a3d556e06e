using System.Net;
using System.Net.Sockets;

namespace IntegrationHub.Webhooks.Delivery;

/// <summary>
/// Where webhooks may go. Outside development the URL must be https on port 443 (or a port configured in
/// <c>Hub:Webhooks:AllowedPorts</c>), and every address its host resolves to must be public — IPv4-mapped IPv6 addresses
/// are judged as the IPv4 address they are, and NAT64, 6to4 and Teredo addresses are refused — checked when the connection is
/// made (so DNS rebinding cannot swap in an internal address after the check) and the connection goes to the checked address.
/// </summary>
public sealed class CallbackUrlPolicy(bool allowInsecure, IReadOnlyCollection<int>? allowedPorts = null)
{
    public const string Refused = "refused by callback URL policy";

    readonly IReadOnlyCollection<int> _ports = allowedPorts is { Count: > 0 } ? allowedPorts : [443];

    public bool AllowInsecure => allowInsecure;

    /// <summary>Why the URL itself (scheme, port, form) is refused; null when it is acceptable.</summary>
    public string? CheckUrl(Uri url)
    {
        if (!url.IsAbsoluteUri) return $"{Refused}: the callback URL is not absolute";
        if (url.Scheme is not ("https" or "http")) return $"{Refused}: unsupported scheme '{url.Scheme}'";
        if (url.Scheme == Uri.UriSchemeHttp && !allowInsecure)
            return $"{Refused}: the callback URL must use https (http is allowed in development only)";
        if (!allowInsecure && !_ports.Contains(url.Port))
            return $"{Refused}: port {url.Port} is not allowed (Hub:Webhooks:AllowedPorts, default 443)";
        return null;
    }

    /// <summary>Why the address is refused; null when the hub may connect to it.</summary>
    public string? CheckAddress(IPAddress address) =>
        allowInsecure || IsPublic(address) ? null : $"{Refused}: {address} is not a public address";

    /// <summary>The URL and every address its host resolves to; null when the hub may call it.</summary>
    public async Task<string?> Check(Uri url, CancellationToken cancellationToken = default)
    {
        if (CheckUrl(url) is { } refused) return refused;
        if (allowInsecure) return null;
        try
        {
            var addresses = await Resolve(url.IdnHost, cancellationToken);
            return addresses.Select(CheckAddress).FirstOrDefault(r => r is not null);
        }
        catch (SocketException e)
        {
            return $"cannot resolve {url.IdnHost}: {e.SocketErrorCode}";
        }
    }

    /// <summary>For <see cref="SocketsHttpHandler.ConnectCallback"/>: resolve, check, connect to a checked address.</summary>
    public async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var endpoint = context.DnsEndPoint;
        var addresses = await Resolve(endpoint.Host, cancellationToken);
        if (addresses.Select(CheckAddress).FirstOrDefault(r => r is not null) is { } refused)
            throw new CallbackUrlRefusedException(refused);

        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(address, endpoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch (SocketException e)
            {
                socket.Dispose();
                last = e;
            }
        }
        throw last ?? new SocketException((int)SocketError.HostNotFound);
    }

    static async Task<IPAddress[]> Resolve(string host, CancellationToken cancellationToken) =>
        IPAddress.TryParse(host.Trim('[', ']'), out var literal)
            ? [literal]
            : await Dns.GetHostAddressesAsync(host, cancellationToken);

    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4(); // ::ffff:0:0/96: judged as the IPv4 address it is

        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] == 0                                      // "this network", unspecified
                     || b[0] == 10                                  // private
                     || b[0] == 127                                 // loopback
                     || (b[0] == 100 && (b[1] & 0xC0) == 64)        // CGNAT 100.64/10
                     || (b[0] == 169 && b[1] == 254)                // link-local (cloud metadata)
                     || (b[0] == 172 && (b[1] & 0xF0) == 16)        // private 172.16/12
                     || (b[0] == 192 && b[1] == 168)                // private
                     || (b[0] == 192 && b[1] == 0 && b[2] == 0)     // IETF protocol assignments
                     || (b[0] == 198 && (b[1] & 0xFE) == 18)        // benchmarking 198.18/15
                     || b[0] >= 224);                               // multicast, reserved, broadcast
        }

        if (address.AddressFamily == AddressFamily.InterNetworkV6)
        {
            var b = address.GetAddressBytes();
            return !(b.AsSpan(0, 12).IndexOfAnyExcept((byte)0) < 0      // ::, ::1 and the old IPv4-compatible ::a.b.c.d
                     || (b[0] & 0xFE) == 0xFC                       // unique local fc00::/7
                     || address.IsIPv6LinkLocal                     // fe80::/10
                     || address.IsIPv6SiteLocal                     // fec0::/10 (deprecated)
                     || address.IsIPv6Multicast                     // ff00::/8
                     // Forms that lead to an IPv4 address, private ones included: NAT64 64:ff9b::/96 and 64:ff9b:1::/48,
                     // 6to4 2002::/16, Teredo 2001::/32.
                     || (b[0] == 0x00 && b[1] == 0x64 && b[2] == 0xFF && b[3] == 0x9B && (b.AsSpan(4, 8).IndexOfAnyExcept((byte)0) < 0 || (b[4] == 0 && b[5] == 1)))
                     || (b[0] == 0x20 && b[1] == 0x02)
                     || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0));
        }

        return false;
    }
}

/// <summary>The callback URL resolved to an address the policy forbids; the delivery is dead at once.</summary>
public sealed class CallbackUrlRefusedException(string message) : Exception(message);
