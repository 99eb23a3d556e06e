using System.Net;
using IntegrationHub.Hosting.Security;
using IntegrationHub.Testing;

namespace IntegrationHub.Gateway.Tests;

public sealed class AuthenticationTests(GatewayFixture gateway) : IClassFixture<GatewayFixture>
{
    [Fact]
    public async Task Request_without_a_token_gets_401_problem_with_a_bearer_challenge()
    {
        var response = await gateway.Post(null, GatewayFixture.Body("no-token"));

        await response.AssertProblem(HttpStatusCode.Unauthorized, "bearer token is required");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task Expired_token_gets_401_saying_it_expired()
    {
        var expired = DevTokens.Create(gateway.SigningKey, GatewayFixture.Health, [GatewayScopes.Read.Name], TimeSpan.FromMinutes(5),
            now: DateTimeOffset.UtcNow.AddHours(-1));

        var response = await gateway.Get(expired, "/api/v1/requests/req_0");

        await response.AssertProblem(HttpStatusCode.Unauthorized, "expired");
    }

    [Fact]
    public async Task Token_signed_with_another_key_gets_401()
    {
        var forged = DevTokens.Create(GatewayFixture.NewKey(), GatewayFixture.Health, [GatewayScopes.Write.Name], TimeSpan.FromMinutes(5));

        var response = await gateway.Post(forged, GatewayFixture.Body("forged"));

        await response.AssertProblem(HttpStatusCode.Unauthorized, "not valid");
        await gateway.SentMessagesArrived();
        Assert.DoesNotContain(gateway.Recorder.OfType<IntegrationHub.Contracts.Providers.Commands.ForwardRequest>(), f => f.Payload.Contains("test-forged"));
    }

    [Fact]
    public async Task Token_without_the_write_scope_cannot_submit_and_gets_403_naming_it()
    {
        var readOnly = gateway.Token(GatewayFixture.Health, GatewayScopes.Read.Name);

        var response = await gateway.Post(readOnly, GatewayFixture.Body("read-only"));

        await response.AssertProblem(HttpStatusCode.Forbidden, GatewayScopes.Write.Name);
    }

    [Fact]
    public async Task Token_without_the_read_scope_cannot_read_status()
    {
        var id = await gateway.Submit(GatewayFixture.Health, "write-only");

        var response = await gateway.Get(gateway.Token(GatewayFixture.Health, GatewayScopes.Write.Name), $"/api/v1/requests/{id}");

        await response.AssertProblem(HttpStatusCode.Forbidden, GatewayScopes.Read.Name);
    }

    [Fact]
    public async Task Department_not_registered_with_the_hub_gets_403_saying_so()
    {
        var response = await gateway.Post(gateway.Token("unknown-department"), GatewayFixture.Body("unknown-department"));

        await response.AssertProblem(HttpStatusCode.Forbidden, "'unknown-department' is not registered");
    }

    [Fact]
    public async Task Another_department_gets_404_for_a_request_it_did_not_make()
    {
        var id = await gateway.Submit(GatewayFixture.Health, "isolation");

        var asTax = await gateway.Get(gateway.Token(GatewayFixture.Tax), $"/api/v1/requests/{id}");
        var asHealth = await gateway.Get(gateway.Token(GatewayFixture.Health), $"/api/v1/requests/{id}");

        await asTax.AssertProblem(HttpStatusCode.NotFound);
        Assert.Equal(HttpStatusCode.OK, asHealth.StatusCode);
    }
}
