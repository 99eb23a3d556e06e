using IntegrationHub.Adapters.Abdm.Gateway;
using IntegrationHub.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace IntegrationHub.Abdm.Tests;

/// <summary><c>Hub:Abdm</c>: read with its defaults, and every problem named at once with its key.</summary>
public sealed class AbdmOptionsTests
{
    static IConfiguration Configuration(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings
            .Append(("Hub:Departments:health:RequestsPerMinute", "100"))
            .Select(s => KeyValuePair.Create(s.Item1, (string?)s.Item2))).Build();

    static readonly (string, string)[] Gateway =
    [
        ("Hub:Abdm:Gateway:BaseUrl", "https://dev.abdm.gov.in"),
        ("Hub:Abdm:Gateway:ClientId", "client"),
        ("Hub:Abdm:Gateway:ClientSecret", "secret"),
        ("Hub:Abdm:Jwt:Issuers:0", "https://dev.ndhm.gov.in/auth/realms/central-registry"),
        ("Hub:Abdm:Hips:hip-1:Department", "health"),
    ];

    [Fact]
    public void A_v3_gateway_gets_its_certs_path_and_v3_shapes_by_default()
    {
        var options = AbdmOptions.From(Configuration(Gateway));

        Assert.Equal(AbdmApiVersion.V3, options.ApiVersion);
        Assert.Equal("https://dev.abdm.gov.in/api/hiecm/gateway/v3/certs", options.Jwt!.JwksUrl.ToString());
        Assert.True(options.PatientAsArray);
        Assert.Equal("/abdm", options.CallbackPrefix);
        Assert.Equal("health", options.Hip("hip-1")!.Department);
        Assert.Equal((TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(5), 3), (options.DiscoveryTimeout, options.OtpLifetime, options.MaxOtpAttempts));
    }

    [Fact]
    public void A_v05_gateway_keeps_the_base_path_and_writes_patients_as_objects()
    {
        var options = AbdmOptions.From(Configuration([.. Gateway.Where(g => g.Item1 != "Hub:Abdm:Gateway:BaseUrl"), ("Hub:Abdm:Gateway:BaseUrl", "https://dev.abdm.gov.in/gateway"), ("Hub:Abdm:Gateway:ApiVersion", "v0.5")]));

        Assert.Equal(AbdmApiVersion.V05, options.ApiVersion);
        Assert.Equal("https://dev.abdm.gov.in/gateway/v0.5/certs", options.Jwt!.JwksUrl.ToString());
        Assert.False(options.PatientAsArray);
    }

    [Fact]
    public void No_gateway_section_means_abdm_is_off()
    {
        var options = AbdmOptions.From(Configuration());

        Assert.Null(options.Gateway);
        Assert.Empty(options.Hips);
    }

    [Fact]
    public void Every_problem_is_named_at_once_with_its_key()
    {
        var problems = Assert.Throws<HubSettingsException>(() => AbdmOptions.From(Configuration(
            ("Hub:Abdm:Gateway:BaseUrl", "http://gateway.example.in"),
            ("Hub:Abdm:Gateway:ApiVersion", "v2"),
            ("Hub:Abdm:Gateway:Paths:Nonsense", "/x"),
            ("Hub:Abdm:CallbackPrefix", "/api/v1/abdm"),
            ("Hub:Abdm:BridgeUrl", "http://hub.example.in/abdm"),
            ("Hub:Abdm:Hips:hip-1:Department", "nobody"),
            ("Hub:Abdm:Linking:OtpLifetime", "300"),
            ("Hub:Abdm:Linking:MaxOtpAttempts", "0"),
            ("Hub:Abdm:Linking:OtpSender", "carrier-pigeon")))).Message;

        foreach (var expected in new[]
        {
            "Hub:Abdm:Gateway:ApiVersion must be V3 or V05",
            "Hub:Abdm:Gateway:Paths:Nonsense is not a gateway call",
            "BaseUrl must use https",
            "ClientId is empty",
            "Hub:Abdm:Jwt:Issuers must name the issuer",
            "Hub:Abdm:CallbackPrefix must be a path such as /abdm",
            "Hub:Abdm:BridgeUrl must be the hub's public https base",
            "Hub:Abdm:Hips:hip-1:Department names 'nobody'",
            "Hub:Abdm:Linking:OtpLifetime must be a time span",
            "Hub:Abdm:Linking:MaxOtpAttempts must be a whole number from 1 to 10",
            "Hub:Abdm:Linking:OtpSender must be 'webhook' or 'simulator'",
        })
            Assert.Contains(expected, problems, StringComparison.Ordinal);
    }
}

/// <summary>An OTP sender that cannot work stops the process at start, naming the setting, instead of failing every link.</summary>
public sealed class OtpSenderStartupTests
{
    [Fact]
    public async Task Simulator_otp_sender_without_the_simulator_stops_the_hub_at_start()
    {
        var run = await IntegrationHub.Testing.ProgramRun.Run(typeof(Program).Assembly, new Dictionary<string, string?>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Development",
            ["DOTNET_ENVIRONMENT"] = "Development",
            ["ASPNETCORE_URLS"] = "http://127.0.0.1:0",
            ["Hub__Simulators__Enabled"] = "false",
            ["Hub__Abdm__Linking__OtpSender"] = "simulator",
            ["Hub__Auth__DevSigningKey"] = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(48)),
        }, TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("Hub:Abdm:Linking:OtpSender is 'simulator', but no ABDM simulator runs here", run.Error);
        Assert.Empty(run.StackTraceLines);
    }
}
