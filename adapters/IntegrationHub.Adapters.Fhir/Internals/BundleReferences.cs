using Hl7.Fhir.Model;
using static Hl7.Fhir.Model.OperationOutcome;

namespace IntegrationHub.Adapters.Fhir.Internals;

/// <summary>
/// References between the entries of a bundle (FHIR R4 §2.36.4, resolving references in bundles). A <c>urn:uuid:</c>
/// or <c>urn:oid:</c> reference can only point inside the bundle, so one that matches no <c>fullUrl</c> is an error; a
/// relative one (<c>Patient/1</c>) that matches no entry may live on a server, so it is a warning. Absolute URLs that
/// match no entry and contained references (<c>#x</c>) are left alone.
/// </summary>
static class BundleReferences
{
    public static IEnumerable<IssueComponent> Dangling(Bundle bundle, string path = "Bundle")
    {
        var known = Targets(bundle);
        for (var i = 0; i < bundle.Entry.Count; i++)
        {
            var entry = bundle.Entry[i];
            if (entry.Resource is null)
                continue;
            var entryPath = $"{path}.entry[{i}].resource";
            if (entry.Resource is Bundle inner)
            {
                foreach (var issue in Dangling(inner, entryPath))
                    yield return issue;
                continue;
            }
            var baseUrl = BaseOf(entry.FullUrl);
            foreach (var (reference, at) in References(entry.Resource, entryPath))
            {
                if (Check(reference, baseUrl, known) is { } issue)
                {
                    issue.Expression = [at];
                    yield return issue;
                }
            }
        }
    }

    static IssueComponent? Check(string reference, string? baseUrl, HashSet<string> known)
    {
        if (reference.StartsWith('#'))
            return null;
        var target = WithoutHistory(reference);
        if (target.StartsWith("urn:uuid:", StringComparison.Ordinal) || target.StartsWith("urn:oid:", StringComparison.Ordinal))
            return known.Contains(target) ? null
                : Issues.Make(IssueSeverity.Error, IssueType.NotFound, $"Reference '{reference}' matches no entry's fullUrl in the bundle", null, null);
        if (Uri.TryCreate(target, UriKind.Absolute, out _))
            return null;
        if (target.Split('/') is not [var type, var id] || !ModelInfo.IsKnownResource(type) || id.Length == 0)
            return null;
        if (known.Contains(target) || baseUrl is not null && known.Contains(baseUrl + target))
            return null;
        return Issues.Make(IssueSeverity.Warning, IssueType.NotFound, $"Reference '{reference}' matches no entry in the bundle", null, null);
    }

    static HashSet<string> Targets(Bundle bundle)
    {
        var targets = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in bundle.Entry)
        {
            if (entry.FullUrl is { Length: > 0 } fullUrl)
                targets.Add(fullUrl);
            if (entry.Resource is { Id.Length: > 0 } resource)
                targets.Add($"{resource.TypeName}/{resource.Id}");
        }
        return targets;
    }

    /// <summary>The server base of a RESTful fullUrl (<c>http://x/fhir/Patient/1</c> gives <c>http://x/fhir/</c>).</summary>
    static string? BaseOf(string? fullUrl)
    {
        if (fullUrl is null || !fullUrl.StartsWith("http", StringComparison.Ordinal))
            return null;
        var parts = fullUrl.TrimEnd('/').Split('/');
        return parts.Length >= 2 && ModelInfo.IsKnownResource(parts[^2])
            ? string.Join('/', parts[..^2]) + "/"
            : null;
    }

    static string WithoutHistory(string reference)
    {
        var history = reference.IndexOf("/_history/", StringComparison.Ordinal);
        return history < 0 ? reference : reference[..history];
    }

    /// <summary>Every <c>Reference.reference</c> in a resource, with its FHIRPath, not descending into bundled bundles.</summary>
    static IEnumerable<(string Reference, string Path)> References(Base node, string path)
    {
        if (node is ResourceReference { Reference: { Length: > 0 } reference })
            yield return (reference, path + ".reference");
        foreach (var (name, value) in node.EnumerateElements())
        {
            if (value is Bundle)
                continue;
            if (value is IEnumerable<Base> list)
            {
                var index = 0;
                foreach (var item in list)
                    foreach (var found in References(item, $"{path}.{name}[{index++}]"))
                        yield return found;
            }
            else if (value is Base child and not PrimitiveType)
            {
                foreach (var found in References(child, $"{path}.{name}"))
                    yield return found;
            }
        }
    }
}
