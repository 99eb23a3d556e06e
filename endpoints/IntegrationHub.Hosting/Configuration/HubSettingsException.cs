namespace IntegrationHub.Hosting.Configuration;

/// <summary>
/// Settings that cannot run, with every problem in words an operator can act on (the key, what is wrong, an example).
/// The process does not start; it prints every problem of every endpoint at once.
/// </summary>
public sealed class HubSettingsException(IReadOnlyList<string> problems)
    : InvalidOperationException("The hub's configuration is invalid:" + Environment.NewLine + "  " + string.Join(Environment.NewLine + "  ", problems))
{
    public IReadOnlyList<string> Problems { get; } = problems;

    /// <summary>Throws when <paramref name="problems"/> is not empty.</summary>
    public static void ThrowIfAny(IEnumerable<string> problems)
    {
        var list = problems.ToList();
        if (list.Count > 0) throw new HubSettingsException(list);
    }
}

/// <summary>Settings registered by an endpoint or by Hosting, read and checked before the process starts.</summary>
internal sealed record SettingsCheck(Func<IServiceProvider, object?> Read);
