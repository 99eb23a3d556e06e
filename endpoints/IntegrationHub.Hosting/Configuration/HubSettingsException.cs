using Microsoft.Extensions.Configuration;

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

/// <summary>Binding a settings section so that a value of the wrong kind is one more problem, not an exception.</summary>
public static class SettingsBinding
{
    /// <summary><paramref name="section"/> bound onto <paramref name="settings"/>; false (and a problem naming the section) when a value does not fit.</summary>
    public static bool TryBind<T>(IConfigurationSection section, T settings, ICollection<string> problems) where T : class
    {
        try
        {
            section.Bind(settings);
            return true;
        }
        catch (InvalidOperationException exception)
        {
            problems.Add($"{section.Path}: {exception.Message}");
            return false;
        }
    }
}
