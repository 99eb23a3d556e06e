using System.Globalization;
using System.Text;

namespace IntegrationHub.Adapters.Abdm.Registry;

/// <summary>A patient a registry holds, as <see cref="PatientMatching"/> compares it with a query (several values per identifier allowed).</summary>
/// <param name="Gender"><c>M</c>, <c>F</c>, <c>O</c>, <c>U</c> or null.</param>
public sealed record PatientCandidate(
    string ReferenceNumber,
    string? Name,
    string? Gender,
    int? YearOfBirth,
    IReadOnlyList<string> Mobiles,
    IReadOnlyList<string> AbhaNumbers,
    IReadOnlyList<string> AbhaAddresses,
    IReadOnlyList<string> MedicalRecordNumbers);

/// <summary>A candidate that matched, and by which identifiers (<see cref="PatientMatching.Mobile"/>, …).</summary>
public sealed record MatchedCandidate(PatientCandidate Candidate, IReadOnlyList<string> MatchedBy);

/// <summary>
/// The one rule every registry decides a discover by, as ABDM HIPs do it: a verified identifier (or the medical record
/// number) must match AND the demographics must agree; exactly one such patient is a match, none or several are not
/// (ABDM must never link the wrong person). An unverified medical record number alone needs the demographics to agree
/// fully (the whole name, gender, year of birth).
/// </summary>
public static class PatientMatching
{
    public const string Mobile = "MOBILE";
    public const string AbhaNumber = "ABHA_NUMBER";
    public const string AbhaAddress = "ABHA_ADDRESS";
    public const string MedicalRecordNumber = "MR";

    public const string NoPatientMatches = "no patient matches";
    public const string MoreThanOnePatientMatches = "more than one patient matches";

    const int YearOfBirthTolerance = 2;

    /// <summary>The candidates that match the query (each once, by reference number).</summary>
    public static IReadOnlyList<MatchedCandidate> Matching(PatientQuery query, IEnumerable<PatientCandidate> candidates) =>
        candidates
            .DistinctBy(c => c.ReferenceNumber, StringComparer.Ordinal)
            .Select(c => Match(query, c))
            .OfType<MatchedCandidate>()
            .ToList();

    /// <summary>Why these matches are not one patient, or null when they are.</summary>
    public static PatientMatch.NotFound? Refusal(IReadOnlyList<MatchedCandidate> matches) => matches.Count switch
    {
        0 => new PatientMatch.NotFound(NoPatientMatches),
        1 => null,
        _ => new PatientMatch.NotFound(MoreThanOnePatientMatches),
    };

    /// <summary>The candidate and the identifiers it matched by, or null when it is not this patient.</summary>
    public static MatchedCandidate? Match(PatientQuery query, PatientCandidate candidate)
    {
        var matchedBy = IdentifiersMatching(query, candidate);
        if (matchedBy.Count == 0 || !DemographicsAgree(query, candidate))
            return null;
        // A medical record number the user typed (unverified) is easy to learn: alone, it needs the whole name, a known
        // and equal gender and a known year of birth, or discovery would disclose care contexts to a stranger who knows it.
        if (matchedBy is [MedicalRecordNumber] && !VerifiedMedicalRecordNumberMatches(query, candidate) && !DemographicsFullyAgree(query, candidate))
            return null;
        return new MatchedCandidate(candidate, matchedBy);
    }

    static bool VerifiedMedicalRecordNumberMatches(PatientQuery query, PatientCandidate candidate) =>
        query.VerifiedIdentifiers.Any(i => KindOf(i.Type) == MedicalRecordNumber && candidate.MedicalRecordNumbers.Any(n => SameMedicalRecordNumber(i.Value, n)));

    /// <summary>Every name word on both sides, gender M or F on both sides and equal, years of birth on both sides within tolerance.</summary>
    public static bool DemographicsFullyAgree(PatientQuery query, PatientCandidate candidate) =>
        KnownGender(query.Gender) is { } gender && gender == KnownGender(candidate.Gender)
        && query.YearOfBirth is not null && candidate.YearOfBirth is not null && YearsOfBirthAgree(query.YearOfBirth, candidate.YearOfBirth)
        && NameTokens(query.Name).Order(StringComparer.Ordinal).SequenceEqual(NameTokens(candidate.Name).Order(StringComparer.Ordinal));

    /// <summary>Which identifiers match: the verified ones (the query's ABHA address among them) and the medical record number, verified or not.</summary>
    public static IReadOnlyList<string> IdentifiersMatching(PatientQuery query, PatientCandidate candidate)
    {
        var matched = new List<string>(4);
        if (query.VerifiedIdentifiers.Any(i => KindOf(i.Type) == Mobile && candidate.Mobiles.Any(m => SameMobile(i.Value, m))))
            matched.Add(Mobile);
        if (query.VerifiedIdentifiers.Any(i => KindOf(i.Type) == AbhaNumber && candidate.AbhaNumbers.Any(n => SameAbhaNumber(i.Value, n))))
            matched.Add(AbhaNumber);
        if (VerifiedAbhaAddresses(query).Any(a => candidate.AbhaAddresses.Any(c => SameAbhaAddress(a, c))))
            matched.Add(AbhaAddress);
        if (query.VerifiedIdentifiers.Concat(query.UnverifiedIdentifiers)
            .Any(i => KindOf(i.Type) == MedicalRecordNumber && candidate.MedicalRecordNumbers.Any(n => SameMedicalRecordNumber(i.Value, n))))
            matched.Add(MedicalRecordNumber);
        return matched;
    }

    /// <summary>The query's ABHA address and any verified HEALTH_ID / ABHA_ADDRESS identifiers.</summary>
    public static IEnumerable<string> VerifiedAbhaAddresses(PatientQuery query) =>
        query.VerifiedIdentifiers.Where(i => KindOf(i.Type) == AbhaAddress).Select(i => i.Value)
            .Prepend(query.AbhaAddress)
            .Where(a => !string.IsNullOrWhiteSpace(a));

    /// <summary>ABDM's identifier type as one of <see cref="Mobile"/>, <see cref="AbhaNumber"/>, <see cref="AbhaAddress"/>, <see cref="MedicalRecordNumber"/>, or null.</summary>
    public static string? KindOf(string? type) => type?.Trim().ToUpperInvariant() switch
    {
        "MOBILE" => Mobile,
        "NDHM_HEALTH_NUMBER" or "ABHA_NUMBER" => AbhaNumber,
        "HEALTH_ID" or "ABHA_ADDRESS" => AbhaAddress,
        "MR" => MedicalRecordNumber,
        _ => null,
    };

    public static bool DemographicsAgree(PatientQuery query, PatientCandidate candidate) =>
        GendersAgree(query.Gender, candidate.Gender)
        && YearsOfBirthAgree(query.YearOfBirth, candidate.YearOfBirth)
        && NamesAgree(query.Name, candidate.Name);

    /// <summary>
    /// Only M and F are compared: U (undisclosed), O (other) or nothing on either side do not disqualify, because a
    /// department's recorded sex and the gender on the ABHA often differ exactly there.
    /// </summary>
    public static bool GendersAgree(string? queried, string? recorded)
    {
        var a = KnownGender(queried);
        var b = KnownGender(recorded);
        return a is null || b is null || a == b;
    }

    static string? KnownGender(string? gender) => gender?.Trim().ToUpperInvariant() switch
    {
        "M" => "M",
        "F" => "F",
        _ => null,
    };

    public static bool YearsOfBirthAgree(int? queried, int? recorded) =>
        queried is null || recorded is null || Math.Abs(queried.Value - recorded.Value) <= YearOfBirthTolerance;

    /// <summary>
    /// Case, spacing and punctuation aside, every word of the shorter name is in the longer one ("Asha" and "Asha Devi").
    /// A missing name is no agreement: it is the one demographic ABDM always sends.
    /// </summary>
    public static bool NamesAgree(string? queried, string? recorded)
    {
        var a = NameTokens(queried);
        var b = NameTokens(recorded);
        if (a.Count == 0 || b.Count == 0)
            return false;
        var (shorter, longer) = a.Count <= b.Count ? (a, b) : (b, a);
        var unused = new List<string>(longer);
        return shorter.All(unused.Remove);
    }

    /// <summary>Lower-case words; apostrophes dropped ("D'Souza" = "DSouza"), any other non-letter a separator.</summary>
    public static IReadOnlyList<string> NameTokens(string? name)
    {
        var tokens = new List<string>();
        if (string.IsNullOrWhiteSpace(name))
            return tokens;
        var word = new StringBuilder();
        foreach (var c in name)
        {
            // Combining marks belong to the word: Devanagari vowel signs are marks, not separators.
            if (char.IsLetterOrDigit(c) || char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark)
                word.Append(char.ToLowerInvariant(c));
            else if (c is '\'' or '\u2019')
                continue;
            else if (word.Length > 0)
            {
                tokens.Add(word.ToString());
                word.Clear();
            }
        }
        if (word.Length > 0)
            tokens.Add(word.ToString());
        return tokens;
    }

    /// <summary>The last 10 digits (an Indian mobile without +91, 0, spaces or dashes), or null when there are fewer.</summary>
    public static string? NormalisedMobile(string? mobile)
    {
        if (mobile is null)
            return null;
        var digits = new string(mobile.Where(char.IsAsciiDigit).ToArray());
        return digits.Length < 10 ? null : digits[^10..];
    }

    public static bool SameMobile(string? a, string? b) =>
        NormalisedMobile(a) is { } x && NormalisedMobile(b) is { } y && x == y;

    /// <summary>The ABHA number without dashes or spaces (14 digits when well formed).</summary>
    public static string NormalisedAbhaNumber(string abhaNumber) =>
        new(abhaNumber.Where(c => c is not ('-' or ' ')).ToArray());

    public static bool SameAbhaNumber(string? a, string? b) =>
        !string.IsNullOrWhiteSpace(a) && !string.IsNullOrWhiteSpace(b) && NormalisedAbhaNumber(a) == NormalisedAbhaNumber(b);

    /// <summary>Exactly equal: medical record numbers are the department's own and have no agreed spelling to normalise to.</summary>
    public static bool SameMedicalRecordNumber(string? a, string? b) => !string.IsNullOrWhiteSpace(a) && string.Equals(a, b, StringComparison.Ordinal);

    public static bool SameAbhaAddress(string? a, string? b) =>
        !string.IsNullOrWhiteSpace(a) && !string.IsNullOrWhiteSpace(b) && string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
}
