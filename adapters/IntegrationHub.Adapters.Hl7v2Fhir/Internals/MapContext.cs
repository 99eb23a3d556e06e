using Hl7.Fhir.Model;
using IntegrationHub.Adapters.Hl7v2;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Internals;

/// <summary>One message's mapping: the options, what has been made so far (the Bundle's entries) and what was dropped.</summary>
internal sealed class MapContext(Hl7Message message, Hl7v2FhirOptions options)
{
    readonly List<MapIssue> _issues = [];
    readonly List<Resource> _resources = [];

    public Hl7Message Message { get; } = message;
    public Hl7v2FhirOptions Options { get; } = options;
    public IReadOnlyList<MapIssue> Issues => _issues;
    public IReadOnlyList<Resource> Resources => _resources;

    /// <summary>What scopes an identifier with no assigning authority: the sending facility (MSH-4), else application (MSH-3).</summary>
    public string SenderScope
    {
        get
        {
            var facility = Message.Msh.SendingFacility.Value;
            return facility.Length > 0 ? facility : Message.Msh.SendingApplication.Value;
        }
    }

    public Patient? Patient { get; set; }
    public Encounter? Encounter { get; set; }

    public void Warn(string location, string text) => _issues.Add(new MapIssue(MapIssueSeverity.Warning, location, text));
    public void Fail(string location, string text) => _issues.Add(new MapIssue(MapIssueSeverity.Error, location, text));

    /// <summary>Adds <paramref name="resource"/> to the Bundle with its stable id; one with the same id is kept once.</summary>
    public T Add<T>(T resource, string id) where T : Resource
    {
        resource.Id = id;
        if (_resources.OfType<T>().FirstOrDefault(r => r.Id == id) is { } existing) return existing;
        _resources.Add(resource);
        return resource;
    }

    public static ResourceReference Reference(Resource resource) => new($"urn:uuid:{resource.Id}");
}
