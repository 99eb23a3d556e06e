namespace IntegrationHub.Clinical.Fhir;

/// <summary>
/// The translations the hub offers, by source and target: one list for <c>POST /api/v1/translate</c> and
/// <c>hubctl translate</c>. Today FHIR to FHIR (normalising JSON or XML); the HL7 v2 and CSV issues add theirs here.
/// </summary>
public static class Translations
{
    public const string Fhir = "fhir";
    public const string Hl7v2 = "hl7v2";

    public static IReadOnlyList<(string From, string To)> Supported { get; } = [(Fhir, Fhir), (Hl7v2, Fhir), (Fhir, Hl7v2)];

    /// <summary>Null when <paramref name="from"/> → <paramref name="to"/> is offered; otherwise why not, naming what is.</summary>
    public static string? Problem(string? from, string? to)
    {
        if (string.IsNullOrWhiteSpace(from) || string.IsNullOrWhiteSpace(to))
            return $"Both a source and a target format are needed (from and to); supported: {List}.";
        return Supported.Contains((from, to))
            ? null
            : $"There is no translation from '{from}' to '{to}'; supported: {List}.";
    }

    static string List => string.Join(", ", Supported.Select(s => $"{s.From} → {s.To}"));
}
