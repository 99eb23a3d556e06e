using IntegrationHub.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Webhooks.Tests;

public sealed class WebhookOptionsTests
{
    [Fact]
    public void Misspelt_webhook_type_in_a_departments_choice_is_a_start_up_problem_naming_the_known_ones()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hub:Webhooks:Departments:health:CallbackUrl"] = "https://health.example.gov.in/hooks",
            ["Hub:Webhooks:Departments:health:Events:0"] = "request.failed",
            ["Hub:Webhooks:Departments:health:Events:1"] = "request.complete",
        }).Build();

        var problem = Assert.Single(Assert.Throws<HubSettingsException>(() => WebhookOptions.From(configuration)).Problems);

        Assert.StartsWith("Hub:Webhooks:Departments:health:Events names no webhook type: request.complete (known: ", problem);
        Assert.Contains("request.completed", problem);
    }

    [Fact]
    public void Known_webhook_types_are_accepted()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Hub:Webhooks:Departments:Health:CallbackUrl"] = "https://health.example.gov.in/hooks",
            ["Hub:Webhooks:Departments:Health:Events:0"] = "request.completed",
        }).Build();

        var options = WebhookOptions.From(configuration);

        Assert.True(options.TryGetDepartment("health", out var health));
        Assert.True(health.Wants("request.completed"));
        Assert.False(health.Wants("request.failed"));
    }
}
