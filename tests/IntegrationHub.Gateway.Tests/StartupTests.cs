using IntegrationHub.Testing;

namespace IntegrationHub.Gateway.Tests;

public sealed class StartupTests
{
    [Theory]
    [InlineData(null, "No token validation is configured")]
    [InlineData("only-twenty-bytes-ok", "too short")]
    public async Task Gateway_refuses_to_start_without_a_usable_token_configuration_in_one_line_and_exit_code_1(string? devKey, string reason)
    {
        var run = await ProgramRun.Run(typeof(Program).Assembly,
            new Dictionary<string, string?> { ["Hub__Auth__DevSigningKey"] = devKey, ["Hub__JsonLogs"] = "false" }, TimeSpan.FromSeconds(60));

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("IntegrationHub.Gateway cannot start: ", line);
        Assert.Contains(reason, line);
        Assert.Empty(run.StackTraceLines);
    }
}
