using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace IntegrationHub.Hosting.Configuration;

/// <summary>Reads every registered setting of the process and gathers every problem of every endpoint into one exception.</summary>
internal static class ConfigurationCheck
{
    public static void Run(IServiceProvider services, IEnumerable<string>? otherProblems = null)
    {
        var problems = new List<string>(otherProblems ?? []);
        foreach (var check in services.GetServices<SettingsCheck>())
        {
            try
            {
                check.Read(services);
            }
            catch (HubSettingsException exception)
            {
                problems.AddRange(exception.Problems);
            }
            catch (OptionsValidationException exception)
            {
                problems.AddRange(exception.Failures);
            }
            catch (InvalidOperationException exception) when (IsBindingFailure(exception))
            {
                // A value of the wrong kind in settings bound by the options framework ("Failed to convert configuration
                // value 'abc' at 'Hub:…' to type 'System.Int32'."): the message names the key.
                problems.Add(exception.Message);
            }
        }
        HubSettingsException.ThrowIfAny(problems.Distinct());
    }

    static bool IsBindingFailure(InvalidOperationException exception) =>
        exception.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal);
}
