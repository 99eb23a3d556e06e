using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace IntegrationHub.Adapters.Fhir.Internals;

/// <summary>
/// JSON property names as strings without a new string per occurrence: FHIR has a small vocabulary of names, so each
/// is made once and reused. The cache is bounded, so hostile input with endless new names cannot grow it.
/// </summary>
static class PropertyNames
{
    const int MaxCached = 20_000;
    const int MaxCachedLength = 64;
    static readonly ConcurrentDictionary<string, string> Cache = new(StringComparer.Ordinal);
    static readonly ConcurrentDictionary<string, string>.AlternateLookup<ReadOnlySpan<char>> Lookup = Cache.GetAlternateLookup<ReadOnlySpan<char>>();

    public static string Of(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence || reader.ValueSpan.Length > MaxCachedLength)
            return reader.GetString()!;
        Span<char> chars = stackalloc char[MaxCachedLength];
        var length = Encoding.UTF8.GetChars(reader.ValueSpan, chars);
        var name = chars[..length];
        if (Lookup.TryGetValue(name, out var known))
            return known;
        var made = name.ToString();
        return Cache.Count < MaxCached ? Cache.GetOrAdd(made, made) : made;
    }
}
