namespace IntegrationHub.Adapters.Hl7v2;

/// <summary>The encoding characters a message declares in MSH-1 and MSH-2 (v2.7 adds the truncation character).</summary>
public readonly record struct Hl7Delimiters(char Field, char Component, char Repetition, char Escape, char SubComponent, char? Truncation)
{
    public static Hl7Delimiters Standard { get; } = new('|', '^', '~', '\\', '&', null);

    /// <summary>MSH-2 as written: component, repetition, escape, sub-component and, if any, truncation.</summary>
    public string EncodingCharacters => Truncation is { } t
        ? new string([Component, Repetition, Escape, SubComponent, t])
        : new string([Component, Repetition, Escape, SubComponent]);
}
