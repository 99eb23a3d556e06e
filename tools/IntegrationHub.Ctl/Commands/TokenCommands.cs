using System.CommandLine;
using System.Globalization;
using IntegrationHub.Hosting.Security;

namespace IntegrationHub.Ctl.Commands;

/// <summary>
/// <c>hubctl token --department health --scope requests:write [--lifetime 1h] [--key ...]</c>: prints a development
/// token that a hub started with the same <c>Hub__Auth__DevSigningKey</c> accepts.
/// </summary>
internal static class TokenCommands
{
    public const string KeyEnvironmentVariable = "Hub__Auth__DevSigningKey";
    public const string KeyFileEnvironmentVariable = "Hub__Auth__DevSigningKeyFile";

    public static Command Create()
    {
        var department = new Option<string>("--department")
        {
            Description = "The department (tenant) the token acts for, as registered under Hub:Departments",
            HelpName = "id",
            Required = true,
        };
        var scopes = new Option<string[]>("--scope")
        {
            Description = $"A scope to grant; repeat for several ({string.Join(", ", HubctlEndpoints.Scopes)})",
            HelpName = "scope",
            Required = true,
        };
        var lifetime = new Option<string>("--lifetime")
        {
            Description = "How long the token is valid: 90s, 30m, 1h, 2d",
            HelpName = "duration",
            DefaultValueFactory = _ => "1h",
        };
        var key = new Option<string?>("--key")
        {
            Description = $"The dev signing key (default: ${KeyEnvironmentVariable}, else the key file)",
            HelpName = "key",
        };
        var keyFile = new Option<string?>("--key-file")
        {
            Description = $"File holding the dev signing key (default: ${KeyFileEnvironmentVariable}, else {DevKeyFile.DefaultPath}, which the embedded host creates)",
            HelpName = "path",
        };

        var token = new Command("token", "Print a development bearer token (dev signing key mode only)");
        token.Options.Add(department);
        token.Options.Add(scopes);
        token.Options.Add(lifetime);
        token.Options.Add(key);
        token.Options.Add(keyFile);
        token.SetAction((parseResult, cancellationToken) => CommandRunner.RunAsync(parseResult, async (output, _) =>
        {
            var signingKey = parseResult.GetValue(key)
                             ?? Environment.GetEnvironmentVariable(KeyEnvironmentVariable)
                             ?? DevKeyFile.ReadIfExists(parseResult.GetValue(keyFile)
                                                        ?? Environment.GetEnvironmentVariable(KeyFileEnvironmentVariable)
                                                        ?? DevKeyFile.DefaultPath);
            if (string.IsNullOrEmpty(signingKey))
                throw new HubCtlException($"No signing key: pass --key or --key-file, set ${KeyEnvironmentVariable}, or start the embedded host once (it creates {DevKeyFile.DefaultPath}).", ExitCodes.Failed);
            if (new HubAuthOptions { DevSigningKey = signingKey }.Problem() is { } problem)
                throw new HubCtlException(problem, ExitCodes.Failed);

            var granted = parseResult.GetValue(scopes) ?? [];
            var unknown = granted.Except(HubctlEndpoints.Scopes, StringComparer.Ordinal).ToList();
            if (unknown.Count > 0)
                throw new HubCtlException($"Unknown scope(s) {string.Join(", ", unknown)}; known: {string.Join(", ", HubctlEndpoints.Scopes)}.", ExitCodes.Failed);

            var duration = ParseLifetime(parseResult.GetValue(lifetime)!);
            await output.WriteLineAsync(DevTokens.Create(signingKey, parseResult.GetValue(department)!, granted, duration));
            return ExitCodes.Ok;
        }, cancellationToken));
        return token;
    }

    internal static TimeSpan ParseLifetime(string text)
    {
        if (text.Length >= 2 && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var amount) && amount > 0)
        {
            switch (text[^1])
            {
                case 's': return TimeSpan.FromSeconds(amount);
                case 'm': return TimeSpan.FromMinutes(amount);
                case 'h': return TimeSpan.FromHours(amount);
                case 'd': return TimeSpan.FromDays(amount);
            }
        }
        throw new HubCtlException($"Invalid --lifetime '{text}': use a positive number with s, m, h or d (e.g. 30m, 1h).", ExitCodes.Failed);
    }
}
