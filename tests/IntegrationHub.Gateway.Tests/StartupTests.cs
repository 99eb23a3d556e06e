using IntegrationHub.Hosting.Security;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Gateway.Tests;

public sealed class StartupTests
{
    [Theory]
    [InlineData(null, "No token validation is configured")]
    [InlineData("only-twenty-bytes-ok", "too short")]
    public async Task Gateway_refuses_to_start_without_a_usable_token_configuration(string? devKey, string reason)
    {
        await using var factory = new WebApplicationFactory<IntegrationHub.Gateway.Program>().WithWebHostBuilder(web =>
            web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(
                new Dictionary<string, string?> { [$"{HubAuthOptions.SectionName}:DevSigningKey"] = devKey })));

        var failure = Assert.Throws<OptionsValidationException>(() => factory.CreateClient());

        Assert.Contains(reason, failure.Message);
    }
}
