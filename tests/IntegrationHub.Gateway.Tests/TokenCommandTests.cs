using System.CommandLine;
using System.Net;

namespace IntegrationHub.Gateway.Tests;

public sealed class TokenCommandTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Hubctl_token_is_accepted_by_the_gateway_with_the_scopes_asked_for()
    {
        var (code, output, error) = await Hubctl("token", "--department", GatewayFixture.Health, "--scope", "requests:write",
            "--scope", "requests:read", "--lifetime", "5m", "--key", gateway.SigningKey);
        Assert.True(code == 0, error);

        var response = await gateway.Post(output.Trim(), GatewayFixture.Body("hubctl"));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Fact]
    public async Task Hubctl_token_refuses_a_short_key_and_unknown_scopes()
    {
        var (shortKey, _, shortKeyError) = await Hubctl("token", "--department", "health", "--scope", "requests:read", "--key", "short");
        var (badScope, _, badScopeError) = await Hubctl("token", "--department", "health", "--scope", "admin", "--key", gateway.SigningKey);

        Assert.Equal((1, 1), (shortKey, badScope));
        Assert.Contains("too short", shortKeyError);
        Assert.Contains("Unknown scope(s) admin", badScopeError);
    }

    static async Task<(int Code, string Output, string Error)> Hubctl(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await IntegrationHub.Ctl.Program.CreateRootCommand().Parse(args)
            .InvokeAsync(new InvocationConfiguration { Output = output, Error = error });
        return (code, output.ToString(), error.ToString());
    }
}
