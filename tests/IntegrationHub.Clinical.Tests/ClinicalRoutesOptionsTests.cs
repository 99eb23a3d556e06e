using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Clinical.Routes;
using IntegrationHub.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Clinical.Tests;

/// <summary><c>Hub:Clinical:Routes</c> and <c>Hub:Clinical:Maps</c>: every problem named at once with its key.</summary>
public sealed class ClinicalRoutesOptionsTests
{
    static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings
            .Append(("Hub:Departments:health:RequestsPerMinute", "100")).Append(("Hub:Departments:archive:RequestsPerMinute", "100"))
            .Append(("Hub:Clinical:Hl7v2:Destinations:lab:Department", "archive"))
            .Select(s => KeyValuePair.Create(s.Item1, (string?)s.Item2))).Build();

    [Fact]
    public void A_department_with_a_FHIR_server_and_a_legacy_system_has_both_routes()
    {
        var routes = ClinicalRoutesOptions.From(Configuration(("Hub:Clinical:Routes:Archive:FhirServer", "https://fhir.archive.example.gov/r4"),
            ("Hub:Clinical:Routes:Archive:Hl7v2Destination", "lab")));

        var route = routes.Of("archive")!;
        Assert.Equal(("fhir.archive.example.gov", "lab", TimeSpan.FromSeconds(30)), (route.FhirServer!.Host, route.Hl7v2Destination, route.FhirTimeout));
        Assert.Null(routes.Of("health"));
    }

    [Fact]
    public void Every_route_problem_is_named_at_once_with_its_key()
    {
        var problems = Assert.Throws<HubSettingsException>(() => ClinicalRoutesOptions.From(Configuration(
            ("Hub:Clinical:Routes:health:FhirServer", "http://fhir.example.gov/r4"),
            ("Hub:Clinical:Routes:health:Hl7v2Destination", "lab"),
            ("Hub:Clinical:Routes:health:FhirTimeout", "soon"),
            ("Hub:Clinical:Routes:nobody:FhirServer", "not a url")))).Message;

        Assert.Contains("Hub:Clinical:Routes:health:FhirServer must use https", problems, StringComparison.Ordinal);
        Assert.Contains("Hub:Clinical:Routes:health:Hl7v2Destination 'lab' belongs to another department", problems, StringComparison.Ordinal);
        Assert.Contains("Hub:Clinical:Routes:health:FhirTimeout must be a positive time span", problems, StringComparison.Ordinal);
        Assert.Contains("Hub:Clinical:Routes:nobody: there is no department 'nobody'", problems, StringComparison.Ordinal);
        Assert.Contains("Hub:Clinical:Routes:nobody:FhirServer must be an absolute http(s) URL", problems, StringComparison.Ordinal);
    }

    [Fact]
    public void Map_settings_problems_are_named_with_their_keys()
    {
        var problems = Assert.Throws<HubSettingsException>(() => Hl7v2MapsOptions.From(Configuration(
            ("Hub:Clinical:Maps:IdentifierSystems:NADRA", "nadra"),
            ("Hub:Clinical:Maps:DefaultOffset", "+25:00")))).Message;

        Assert.Contains("Hub:Clinical:Maps:IdentifierSystems:NADRA must be an absolute URI", problems, StringComparison.Ordinal);
        Assert.Contains("Hub:Clinical:Maps:DefaultOffset must be an offset from UTC", problems, StringComparison.Ordinal);
        Assert.Equal(TimeSpan.FromHours(5.5), Hl7v2MapsOptions.ParseOffset("+05:30"));
        Assert.Equal(TimeSpan.FromHours(-3), Hl7v2MapsOptions.ParseOffset("-0300"));
    }

    [Fact]
    public void Delivery_retries_default_to_ten_attempts_from_30_seconds_doubling_to_30_minutes_within_a_day()
    {
        var deliveries = ClinicalDeliveryOptions.From(Configuration());

        Assert.Equal((10, TimeSpan.FromDays(1)), (deliveries.MaxAttempts, deliveries.Deadline));
        Assert.Equal([30, 60, 120, 240, 480, 960, 1800, 1800], Enumerable.Range(2, 8).Select(n => deliveries.DelayBefore(n).TotalSeconds));
    }

    [Fact]
    public void Every_delivery_setting_problem_is_named_at_once_with_its_key()
    {
        var problems = Assert.Throws<HubSettingsException>(() => ClinicalDeliveryOptions.From(Configuration(
            ("Hub:Clinical:Deliveries:MaxAttempts", "0"),
            ("Hub:Clinical:Deliveries:FirstRetryDelay", "00:10:00"),
            ("Hub:Clinical:Deliveries:MaxRetryDelay", "00:01:00"),
            ("Hub:Clinical:Deliveries:Deadline", "30")))).Message;

        Assert.Contains("Hub:Clinical:Deliveries:MaxAttempts must be a whole number from 1 to 100, got '0'", problems, StringComparison.Ordinal);
        Assert.Contains("Hub:Clinical:Deliveries:MaxRetryDelay (00:01:00) must not be shorter than FirstRetryDelay (00:10:00)", problems, StringComparison.Ordinal);
        Assert.Contains("Hub:Clinical:Deliveries:Deadline must be a time span (hh:mm:ss", problems, StringComparison.Ordinal);
    }

    [Fact]
    public void A_deadline_the_status_retention_would_not_outlive_is_refused()
    {
        var problems = Assert.Throws<HubSettingsException>(() => ClinicalDeliveryOptions.From(Configuration(
            ("Hub:Clinical:Deliveries:Deadline", "3.00:00:00"),
            ("Hub:Clinical:Retention:UnfinishedResources", "2.00:00:00")))).Message;

        Assert.Contains("Hub:Clinical:Deliveries:Deadline (3.00:00:00) must be shorter than Hub:Clinical:Retention:UnfinishedResources", problems, StringComparison.Ordinal);
    }
}
