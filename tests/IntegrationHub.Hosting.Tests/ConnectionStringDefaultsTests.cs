using Npgsql;

namespace IntegrationHub.Hosting.Tests;

/// <summary>The hub's PostgreSQL connections prepare their statements and skip the per-use reset unless told otherwise.</summary>
public sealed class ConnectionStringDefaultsTests
{
    [Fact]
    public void A_connection_string_without_the_settings_gets_prepared_statements_and_no_reset()
    {
        var tuned = new NpgsqlConnectionStringBuilder(HubHostingExtensions.WithAutoPrepare("Host=db;Username=hub;Password=x;Database=hub"));

        Assert.Equal(32, tuned.MaxAutoPrepare);
        Assert.Equal(2, tuned.AutoPrepareMinUsages);
        Assert.True(tuned.NoResetOnClose);
        Assert.Equal("db", tuned.Host);
    }

    [Theory]
    [InlineData("Host=db;Max Auto Prepare=0;No Reset On Close=false")]
    [InlineData("Host=db;MaxAutoPrepare=0;NoResetOnClose=false")]
    [InlineData("host=db;max auto prepare=0;no reset on close=false")]
    public void Settings_the_operator_wrote_are_kept(string connectionString)
    {
        var kept = new NpgsqlConnectionStringBuilder(HubHostingExtensions.WithAutoPrepare(connectionString));

        Assert.Equal(0, kept.MaxAutoPrepare);
        Assert.False(kept.NoResetOnClose);
    }

    [Fact]
    public void A_malformed_connection_string_is_left_for_the_settings_check_to_report()
    {
        const string malformed = "Host=db;Nonsense Keyword=1";
        Assert.Equal(malformed, HubHostingExtensions.WithAutoPrepare(malformed));
    }
}
