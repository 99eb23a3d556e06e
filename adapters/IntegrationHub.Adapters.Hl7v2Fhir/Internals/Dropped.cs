using IntegrationHub.Adapters.Hl7v2;

namespace IntegrationHub.Adapters.Hl7v2Fhir.Internals;

/// <summary>What a segment map does not carry, said per message: every non-empty field the map does not read.</summary>
internal static class Dropped
{
    public static void Report(Hl7Segment segment, int[] mapped, MapContext context)
    {
        var first = segment.Name == "MSH" ? 3 : 1;
        for (var field = first; field <= segment.FieldCount; field++)
        {
            var element = segment.Field(field);
            if (!element.IsEmpty && Array.IndexOf(mapped, field) < 0)
                context.Warn($"{segment.Name}-{field}", "not mapped to FHIR: dropped");
        }
    }

    public static void Segment(Hl7Segment segment, MapContext context, string why) =>
        context.Warn(segment.Name, why);
}
