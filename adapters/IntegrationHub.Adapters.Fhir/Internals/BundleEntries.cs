using Hl7.Fhir.Model;

namespace IntegrationHub.Adapters.Fhir.Internals;

static class BundleEntries
{
    /// <summary>Entries of a bundle, those of the bundles inside it included; 0 for any other resource.</summary>
    public static long Count(Resource resource)
    {
        if (resource is not Bundle bundle)
            return 0;
        long count = bundle.Entry.Count;
        foreach (var entry in bundle.Entry)
            if (entry.Resource is Bundle inner)
                count += Count(inner);
        return count;
    }
}
