namespace IntegrationHub.Adapters.Hl7v2;

/// <summary>What the parser accepts before it stops with a 207 problem naming the limit.</summary>
public sealed record Hl7Limits(
    int MaxBytes = 16 * 1024 * 1024,
    int MaxSegments = 20_000,
    int MaxFieldsPerSegment = 1_000,
    int MaxFieldRepetitions = 2_000)
{
    public static Hl7Limits Default { get; } = new();
}
