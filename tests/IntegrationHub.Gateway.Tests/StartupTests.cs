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

    [Theory]
    [InlineData("Hub__Retries__ImmediateAttempts", "0", "Hub:Retries:ImmediateAttempts must be at least 1")]
    [InlineData("Hub__Endpoints__Gateway__Outbox__MaxPending", "0", "Hub:Endpoints:Gateway:Outbox:MaxPending must be at least 1")]
    [InlineData("Hub__Endpoints__Gateway__Workers", "many", "Failed to convert configuration value 'many' at 'Hub:Endpoints:Gateway:Workers'")]
    [InlineData("Hub__Prefetch", "-1", "Failed to convert configuration value '-1' at 'Hub:Prefetch'")]
    public async Task Bad_bus_settings_shared_or_for_one_endpoint_are_named_in_the_same_line_as_every_other_problem(string key, string value, string problem)
    {
        var run = await ProgramRun.Run(typeof(Program).Assembly,
            new Dictionary<string, string?> { [key] = value, ["Hub__JsonLogs"] = "false" }, TimeSpan.FromSeconds(60));

        Assert.Equal(1, run.ExitCode);
        var line = Assert.Single(run.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("IntegrationHub.Gateway cannot start: ", line);
        Assert.Contains(problem, line);
        Assert.Contains("No token validation is configured", line);
        Assert.Empty(run.StackTraceLines);
    }
}
