using System.Net;
using IntegrationHub.Webhooks.Delivery;

namespace IntegrationHub.Webhooks.Tests;

public sealed class CallbackUrlPolicyTests
{
    readonly CallbackUrlPolicy _production = new(allowInsecure: false);
    readonly CallbackUrlPolicy _development = new(allowInsecure: true);

    [Theory]
    [InlineData("127.0.0.1")]          // loopback
    [InlineData("127.10.20.30")]
    [InlineData("10.0.0.1")]           // private 10/8
    [InlineData("10.255.255.255")]
    [InlineData("172.16.0.1")]         // private 172.16/12
    [InlineData("172.31.255.254")]
    [InlineData("192.168.1.10")]       // private 192.168/16
    [InlineData("169.254.169.254")]    // link-local: cloud metadata service
    [InlineData("100.64.0.1")]         // CGNAT 100.64/10
    [InlineData("100.127.255.254")]
    [InlineData("0.0.0.0")]            // unspecified
    [InlineData("224.0.0.1")]          // multicast
    [InlineData("255.255.255.255")]    // broadcast
    [InlineData("::1")]                // IPv6 loopback
    [InlineData("::")]                 // IPv6 unspecified
    [InlineData("fc00::1")]            // unique local fc00::/7
    [InlineData("fd12:3456:789a::1")]
    [InlineData("fe80::1")]            // link-local fe80::/10
    [InlineData("ff02::1")]            // multicast
    [InlineData("::ffff:10.0.0.1")]    // IPv4-mapped private
    [InlineData("::ffff:127.0.0.1")]   // IPv4-mapped loopback
    [InlineData("64:ff9b::a00:1")]     // NAT64 of 10.0.0.1
    [InlineData("64:ff9b:1::a9fe:a9fe")] // local-use NAT64 64:ff9b:1::/48 (of 169.254.169.254)
    [InlineData("2002:a00:1::1")]      // 6to4 of 10.0.0.1
    [InlineData("2001:0:4136:e378:8000:63bf:f5ff:fffe")] // Teredo (client 10.0.0.1)
    public async Task Https_url_on_a_non_public_address_is_refused_outside_dev_mode(string address)
    {
        var host = IPAddress.Parse(address).AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address;

        var refusal = await _production.Check(new Uri($"https://{host}/hooks"));

        Assert.NotNull(refusal);
        Assert.StartsWith(CallbackUrlPolicy.Refused, refusal);
    }

    [Theory]
    [InlineData("172.15.255.255")]     // just outside 172.16/12
    [InlineData("172.32.0.1")]
    [InlineData("100.63.255.255")]     // just outside 100.64/10
    [InlineData("100.128.0.1")]
    [InlineData("11.0.0.1")]
    [InlineData("8.8.8.8")]
    [InlineData("2001:4860:4860::8888")]
    [InlineData("2a00:1450:4001:80b::200e")]
    public async Task Https_url_on_a_public_address_is_allowed(string address)
    {
        var host = address.Contains(':') ? $"[{address}]" : address;

        Assert.Null(await _production.Check(new Uri($"https://{host}/hooks")));
    }

    [Fact]
    public async Task Http_url_is_refused_outside_dev_mode_even_on_a_public_address()
    {
        var refusal = await _production.Check(new Uri("http://8.8.8.8/hooks"));

        Assert.Equal($"{CallbackUrlPolicy.Refused}: the callback URL must use https (http is allowed in development only)", refusal);
    }

    [Fact]
    public async Task Only_port_443_is_allowed_outside_dev_mode_unless_configured()
    {
        Assert.Equal($"{CallbackUrlPolicy.Refused}: port 8443 is not allowed (Hub:Webhooks:AllowedPorts, default 443)",
            await _production.Check(new Uri("https://8.8.8.8:8443/hooks")));
        Assert.Null(await new CallbackUrlPolicy(allowInsecure: false, allowedPorts: [443, 8443]).Check(new Uri("https://8.8.8.8:8443/hooks")));
    }

    [Fact]
    public async Task Dev_mode_allows_http_and_loopback()
    {
        Assert.Null(await _development.Check(new Uri("http://127.0.0.1:8080/hooks")));
        Assert.Null(await _development.Check(new Uri("http://[::1]:8080/hooks")));
    }

    [Theory]
    [InlineData("ftp://8.8.8.8/hooks")]
    [InlineData("file:///etc/passwd")]
    public async Task Other_schemes_are_refused_even_in_dev_mode(string url)
    {
        Assert.StartsWith(CallbackUrlPolicy.Refused, await _development.Check(new Uri(url)));
    }
}
