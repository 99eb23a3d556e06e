using IntegrationHub.Clinical.Hl7v2;
using IntegrationHub.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Clinical.Tests;

/// <summary><c>Hub:Clinical:Hl7v2</c>: every problem named at once with its key, before anything listens.</summary>
public sealed class Hl7v2OptionsTests
{
    static Hl7v2Options From(params (string Key, string Value)[] settings) =>
        Hl7v2Options.From(new ConfigurationBuilder().AddInMemoryCollection(
            settings.Append((Key: "Hub:Departments:health:RequestsPerMinute", Value: "100")).Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    [Fact]
    public void Defaults_have_no_listener_and_no_sender()
    {
        var options = From();

        Assert.Empty(options.Mllp.Listeners);
        Assert.True(options.SendersOf("health").IsEmpty);
        Assert.Equal(16 * 1024 * 1024, options.MaxMessageBytes);
    }

    [Fact]
    public void Senders_match_application_and_facility_case_insensitively_with_wildcards()
    {
        var senders = From(("Hub:Clinical:Hl7v2:Departments:Health:Senders:0", "ADTSYS^CITYHOSP"), ("Hub:Clinical:Hl7v2:Departments:Health:Senders:1", "LAB^*"))
            .SendersOf("health");

        Assert.True(senders.Allows("adtsys", "cityhosp"));
        Assert.True(senders.Allows("LAB", "ANYWHERE"));
        Assert.False(senders.Allows("ADTSYS", "OTHERHOSP"));
        Assert.False(senders.Allows("ROGUE", "CITYHOSP"));
    }

    [Fact]
    public void Every_problem_is_named_at_once_with_its_key()
    {
        var problems = Assert.Throws<HubSettingsException>(() => From(
            ("Hub:Clinical:Hl7v2:MaxMessageBytes", "12"),
            ("Hub:Clinical:Hl7v2:Departments:health:Senders:0", "NOFACILITY"),
            ("Hub:Clinical:Hl7v2:Departments:nobody:Senders:0", "A^B"),
            ("Hub:Clinical:Hl7v2:Mllp:IdleTimeout", "soon"),
            ("Hub:Clinical:Hl7v2:Mllp:Listeners:ward:Port", "99999"),
            ("Hub:Clinical:Hl7v2:Mllp:Listeners:ward:Department", "health"),
            ("Hub:Clinical:Hl7v2:Mllp:Listeners:lab:Port", "2575"),
            ("Hub:Clinical:Hl7v2:Mllp:Listeners:lab:Address", "everywhere"),
            ("Hub:Clinical:Hl7v2:Mllp:Listeners:lab:Tls:Certificate", "/no/such/cert.pfx"),
            ("Hub:Clinical:Hl7v2:Destinations:lis:Port", "0"))).Problems;

        Assert.Contains("Hub:Clinical:Hl7v2:MaxMessageBytes must be a whole number of bytes, at least 1024 (e.g. 16777216)", problems);
        Assert.Contains("Hub:Clinical:Hl7v2:Departments:health:Senders:0 must be APPLICATION^FACILITY (MSH-3^MSH-4, '*' for any), e.g. LABSYS^CITYHOSP", problems);
        Assert.Contains("Hub:Clinical:Hl7v2:Departments:nobody: there is no department 'nobody' in Hub:Departments", problems);
        Assert.Contains("Hub:Clinical:Hl7v2:Mllp:IdleTimeout must be a positive duration of at most a day (e.g. 00:05:00)", problems);
        Assert.Contains("Hub:Clinical:Hl7v2:Mllp:Listeners:ward:Port must be a whole number from 0 to 65535", problems);
        Assert.Contains("Hub:Clinical:Hl7v2:Mllp:Listeners:lab:Address must be an IP address to listen on (0.0.0.0 for all, 127.0.0.1 for this machine only)", problems);
        Assert.Contains("Hub:Clinical:Hl7v2:Mllp:Listeners:lab:Department must name the department whose systems send on this listener", problems);
        Assert.Contains(problems, p => p.StartsWith("Hub:Clinical:Hl7v2:Mllp:Listeners:lab:Tls:Certificate must name", StringComparison.Ordinal));
        Assert.Contains("Hub:Clinical:Hl7v2:Destinations:lis:Host must name the system's host (a DNS name or an IP address)", problems);
        Assert.Contains("Hub:Clinical:Hl7v2:Destinations:lis:Port must be the system's MLLP port (1 to 65535)", problems);
        Assert.Contains("Hub:Clinical:Hl7v2:Destinations:lis:Department must name the registered department whose messages go to this system", problems);
    }

    [Fact]
    public void A_listener_for_a_department_without_senders_is_refused()
    {
        var problems = Assert.Throws<HubSettingsException>(() => From(
            ("Hub:Clinical:Hl7v2:Mllp:Listeners:ward:Port", "0"), ("Hub:Clinical:Hl7v2:Mllp:Listeners:ward:Department", "health"))).Problems;

        Assert.Contains(problems, p => p.Contains("has no Hub:Clinical:Hl7v2:Departments:health:Senders", StringComparison.Ordinal));
    }
}
