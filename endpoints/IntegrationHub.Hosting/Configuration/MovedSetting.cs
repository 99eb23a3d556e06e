namespace IntegrationHub.Hosting.Configuration;

/// <summary>
/// A setting that moved: <paramref name="OldKey"/> keeps working for one release when <paramref name="NewKey"/> is not
/// set, with a warning at every start naming the new key. A <c>*</c> segment stands for any one segment, the same in
/// both keys (<c>Hub:Departments:*:CallbackUrl</c> → <c>Hub:Webhooks:Departments:*:CallbackUrl</c>); a key that names
/// a section moves the section with everything under it. <paramref name="Except"/> lists values a <c>*</c> does not
/// stand for (child sections that are settings of their own, not moved ones).
/// </summary>
public sealed record MovedSetting(string OldKey, string NewKey, params string[] Except);
