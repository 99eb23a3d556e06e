using IntegrationHub.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Hosting.Tests;

/// <summary>A setting that moved keeps working under its old key for one release, with a warning that names the new key.</summary>
public sealed class MovedSettingsTests
{
    static HubConfiguration Read(IEnumerable<MovedSetting> moves, params (string Key, string Value)[] settings) =>
        new(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build(), moves);

    [Fact]
    public void Old_key_is_read_under_the_new_one_with_a_warning_naming_the_new_key_and_its_environment_name()
    {
        var hub = Read([new("Hub:Departments:*:CallbackUrl", "Hub:Webhooks:Departments:*:CallbackUrl")],
            ("Hub:Departments:health:CallbackUrl", "https://health.example/hooks"));

        Assert.Equal("https://health.example/hooks", hub.Configuration["Hub:Webhooks:Departments:health:CallbackUrl"]);
        var warning = Assert.Single(hub.Warnings);
        Assert.Contains("'Hub:Departments:health:CallbackUrl' has moved to 'Hub:Webhooks:Departments:health:CallbackUrl'", warning);
        Assert.Contains("Hub__Webhooks__Departments__health__CallbackUrl", warning);
    }

    [Fact]
    public void New_key_wins_over_the_old_one_and_then_nothing_is_reported()
    {
        var hub = Read([new("Hub:Services", "Hub:Gateway:Services")],
            ("Hub:Services:echo:Provider", "old"), ("Hub:Gateway:Services:echo:Provider", "new"));

        Assert.Equal("new", hub.Configuration["Hub:Gateway:Services:echo:Provider"]);
        Assert.Empty(hub.Warnings);
    }

    [Fact]
    public void Section_moves_with_everything_under_it_except_the_children_named_as_settings_of_their_own()
    {
        var hub = Read([new("Hub:Providers:*", "Hub:Providers:Systems:*", "Systems", "Retention")],
            ("Hub:Providers:births:BaseUrl", "https://births.example/"), ("Hub:Providers:births:Auth:Type", "ApiKey"),
            ("Hub:Providers:Retention:FinishedExchanges", "10.00:00:00"), ("Hub:Providers:Systems:taxes:BaseUrl", "https://taxes.example/"));

        Assert.Equal("https://births.example/", hub.Configuration["Hub:Providers:Systems:births:BaseUrl"]);
        Assert.Equal("ApiKey", hub.Configuration["Hub:Providers:Systems:births:Auth:Type"]);
        Assert.Null(hub.Configuration["Hub:Providers:Systems:Retention:FinishedExchanges"]);
        Assert.Equal("https://taxes.example/", hub.Configuration["Hub:Providers:Systems:taxes:BaseUrl"]);
        Assert.Equal(["births"], hub.Warnings.Select(w => w.Split('\'')[1].Split(':')[2]));
    }

    [Fact]
    public void Configuration_without_old_keys_is_read_as_it_is()
    {
        var hub = Read([new("Hub:Retention:DeadWebhooks", "Hub:Webhooks:Retention:Dead")], ("Hub:Webhooks:Retention:Dead", "5.00:00:00"));

        Assert.Equal("5.00:00:00", hub.Configuration["Hub:Webhooks:Retention:Dead"]);
        Assert.Empty(hub.Warnings);
    }
}
