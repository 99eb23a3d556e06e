namespace IntegrationHub.Adapters.Hl7v2Fhir;

/// <summary>What a deployment tells the maps about its senders: systems for local names, and the clock of times without an offset.</summary>
public sealed record Hl7v2FhirOptions
{
    /// <summary>
    /// FHIR <c>Identifier.system</c> per v2 assigning authority (CX-4.1 / EI-2, compared ignoring case), e.g.
    /// <c>NADRA → https://nadra.gov.pk/cnic</c>, <c>ABHA → https://healthid.abdm.gov.in</c>. An authority given as an
    /// ISO OID (CX-4.2 with CX-4.3 <c>ISO</c>) becomes <c>urn:oid:…</c> without configuration; any other is written as
    /// <c>urn:hl7v2:authority:{name}</c> and its name kept in <c>Identifier.assigner.display</c>.
    /// </summary>
    public IReadOnlyDictionary<string, string> IdentifierSystems { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// FHIR <c>Coding.system</c> per v2 coding-system name (CWE-3) beyond the ones HL7 publishes (LN, SCT, I10, CVX,
    /// UCUM, HL7nnnn, …): a sender's local tables (<c>L</c>, <c>99xxx</c>). An unknown name is written as
    /// <c>urn:hl7v2:coding-system:{name}</c>, so nothing is lost and the way back to v2 finds the name again.
    /// </summary>
    public IReadOnlyDictionary<string, string> CodeSystems { get; init; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The offset of v2 times that carry none (v2 allows it, FHIR does not: a dateTime with a time needs an offset).
    /// Unset (the default): such a time keeps its date only, and the mapping reports what it dropped.
    /// </summary>
    public TimeSpan? DefaultOffset { get; init; }

    public static Hl7v2FhirOptions Default { get; } = new();
}
