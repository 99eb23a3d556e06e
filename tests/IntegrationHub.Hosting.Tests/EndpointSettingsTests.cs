using IntegrationHub.Hosting.Bus;
using IntegrationHub.Testing;
using Microsoft.Extensions.DependencyInjection;
using Rebus.Config;

namespace IntegrationHub.Hosting.Tests;

public sealed class EndpointSettingsTests
{
    [Fact]
    public async Task Endpoint_section_overrides_the_process_wide_settings_for_that_endpoint_only()
    {
        var infrastructure = new InMemoryInfrastructure();
        var log = new AttemptLog();
        var strict = Names.UniqueEndpoint("Strict");
        var settings = infrastructure.Settings();
        settings["Hub:ErrorQueue"] = "test.error." + Guid.NewGuid().ToString("N")[..8];
        settings["Hub:Retries:ImmediateAttempts"] = "5";
        settings[$"Hub:Endpoints:{strict}:Retries:ImmediateAttempts"] = "1";
        settings[$"Hub:Endpoints:{strict}:Retries:DelayedRetries"] = "false";
        await using var host = await HubTestHost.Start(settings, new TestEndpoint(strict, e => e.With(log).Handler<FlakyHandler>()));

        await host.Bus(strict).SendLocal(new Flaky("once", Failures: int.MaxValue));
        var failed = Assert.Single(await infrastructure.TakeMessages(host, settings["Hub:ErrorQueue"]!, 1));

        Assert.Equal("1", failed.Headers[HubHeaders.ErrorAttempts]);
        Assert.Equal(1, log.Attempts["once"]);
    }
}
