using IntegrationHub.Providers.Registry;
using IntegrationHub.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Providers.Tests;

public sealed class ProviderRegistryTests
{
    static ProviderRegistry From(params (string Key, string Value)[] settings) =>
        ProviderRegistry.From(new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value)))
            .Build());

    [Fact]
    public void Every_configuration_mistake_is_reported_at_once_by_name()
    {
        var error = Assert.Throws<HubSettingsException>(() => From(
            ("Hub:Providers:Systems:births:CallbackSecret", "s"),
            ("Hub:Providers:Systems:taxes:BaseUrl", "https://taxes.example/api"),
            ("Hub:Providers:Systems:taxes:CallbackSecret", "s"),
            ("Hub:Providers:Systems:taxes:Auth:Type", "Kerberos")));

        Assert.Contains("Hub:Providers:Systems:births:BaseUrl is missing", error.Message);
        Assert.Contains("Hub:Providers:Systems:taxes:Auth:Type 'Kerberos' is unknown", error.Message);
        Assert.Contains("Hub:PublicBaseUrl is required", error.Message);
    }

    [Fact]
    public void Missing_api_key_and_callback_secret_are_reported()
    {
        var error = Assert.Throws<HubSettingsException>(() => From(
            ("Hub:PublicBaseUrl", "https://hub.example"),
            ("Hub:Providers:Systems:taxes:BaseUrl", "https://taxes.example/"),
            ("Hub:Providers:Systems:taxes:Auth:Type", "ApiKey")));

        Assert.Contains("Hub:Providers:Systems:taxes:Auth:ApiKey", error.Message);
        Assert.Contains("Hub:Providers:Systems:taxes:CallbackSecret is required", error.Message);
    }

    [Fact]
    public void Provider_gets_defaults_and_a_callback_url_under_the_public_base()
    {
        var registry = From(
            ("Hub:PublicBaseUrl", "https://hub.example/base"),
            ("Hub:Providers:Systems:Taxes:BaseUrl", "https://taxes.example/api"),
            ("Hub:Providers:Systems:Taxes:CallbackSecret", "s"));

        Assert.True(registry.TryGet("taxes", out var taxes));
        Assert.Equal(TimeSpan.FromMinutes(5), taxes.AnswerTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), taxes.Connection.CallTimeout);
        Assert.Equal(new Uri("https://taxes.example/api"), taxes.Connection.BaseUrl);
        Assert.Equal(new Uri("https://hub.example/base/api/v1/providers/Taxes/responses"), registry.CallbackUrlFor(taxes));
    }
}
