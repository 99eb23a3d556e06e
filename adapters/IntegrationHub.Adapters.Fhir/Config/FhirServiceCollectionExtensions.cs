using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace IntegrationHub.Adapters.Fhir;

public static class FhirServiceCollectionExtensions
{
    /// <summary>The FHIR adapter as a singleton (built on first use: loading the specification takes a moment).</summary>
    public static IServiceCollection AddFhirAdapter(this IServiceCollection services, Action<FhirOptions>? configure = null)
    {
        var options = new FhirOptions();
        configure?.Invoke(options);
        services.TryAddSingleton(options);
        services.TryAddSingleton(sp => new FhirAdapter(sp.GetRequiredService<FhirOptions>()));
        return services;
    }
}
