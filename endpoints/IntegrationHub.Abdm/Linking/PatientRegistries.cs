using System.Collections.Concurrent;
using IntegrationHub.Adapters.Abdm.Registry;

namespace IntegrationHub.Abdm.Linking;

/// <summary>
/// The registry of each HIP: its department's FHIR server (<c>Hub:Abdm:Hips:{id}:FhirServer</c>), or one a simulator
/// (or a test) put in place with <see cref="Use"/>. A HIP with neither cannot discover anyone: its searches fail, and
/// ABDM is told the registry is unavailable.
/// </summary>
public sealed class PatientRegistries(AbdmOptions options, IHttpClientFactory http)
{
    public const string HttpClientName = "abdm-registry";
    readonly ConcurrentDictionary<string, IPatientRegistry> _registries = new(StringComparer.Ordinal);

    public void Use(string hipId, IPatientRegistry registry) => _registries[hipId] = registry;

    public IPatientRegistry Of(string hipId) => _registries.GetOrAdd(hipId, id =>
        options.Hip(id) is { FhirServer: { } server } hip
            ? new FhirPatientRegistry(new FhirRegistryOptions { BaseUrl = server, BearerToken = hip.FhirBearerToken }, http.CreateClient(HttpClientName))
            : throw new HttpRequestException($"HIP {id} has no patient registry ({AbdmOptions.SectionName}:Hips:{id}:FhirServer)"));
}
