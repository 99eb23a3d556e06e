using System.Globalization;
using IntegrationHub.Hosting.Configuration;

namespace IntegrationHub.Clinical.Routes;

/// <summary>
/// <c>Hub:Clinical:Deliveries</c>: how a delivery to a FHIR server or a legacy v2 system is retried (<see cref="ClinicalDeliverySaga"/>).
/// An attempt that may pass later (FHIR 5xx, 408, 409, 412, 429, no answer; v2 AE or no ACK) is tried again after
/// <c>FirstRetryDelay</c> (30 s), doubling up to <c>MaxRetryDelay</c> (30 min), up to <c>MaxAttempts</c> (10) in all; a
/// delivery not done by <c>Deadline</c> (1 day) after it began ends as failed whatever is still under way. Nothing waits
/// in a handler between attempts: the delay is a timeout. Checked at start, every problem listed.
/// </summary>
public sealed class ClinicalDeliveryOptions
{
    public const string SectionName = ClinicalOptions.SectionName + ":Deliveries";

    public int MaxAttempts { get; private init; } = 10;
    public TimeSpan FirstRetryDelay { get; private init; } = TimeSpan.FromSeconds(30);
    public TimeSpan MaxRetryDelay { get; private init; } = TimeSpan.FromMinutes(30);
    public TimeSpan Deadline { get; private init; } = TimeSpan.FromDays(1);

    /// <summary>The wait before attempt <paramref name="next"/> (2, 3, …).</summary>
    public TimeSpan DelayBefore(int next)
    {
        var delay = FirstRetryDelay.TotalMilliseconds * Math.Pow(2, Math.Min(next - 2, 30));
        return TimeSpan.FromMilliseconds(Math.Min(delay, MaxRetryDelay.TotalMilliseconds));
    }

    public static ClinicalDeliveryOptions From(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var problems = new List<string>();
        var defaults = new ClinicalDeliveryOptions();
        var attempts = defaults.MaxAttempts;
        if (section[nameof(MaxAttempts)] is { } text && (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out attempts) || attempts is < 1 or > 100))
            problems.Add($"{SectionName}:{nameof(MaxAttempts)} must be a whole number from 1 to 100, got '{text}'");
        var first = Span(section, nameof(FirstRetryDelay), defaults.FirstRetryDelay, problems);
        var max = Span(section, nameof(MaxRetryDelay), defaults.MaxRetryDelay, problems);
        var deadline = Span(section, nameof(Deadline), defaults.Deadline, problems);
        if (max < first)
            problems.Add($"{SectionName}:{nameof(MaxRetryDelay)} ({max}) must not be shorter than {nameof(FirstRetryDelay)} ({first})");
        // A running delivery's status resource must outlive its deadline, or the delivery would end with no status to show it.
        foreach (var retention in new[] { ClinicalOptions.SectionName + ":Retention", Hosting.Retention.RetentionOptions.SharedSectionName })
        {
            if (configuration[$"{retention}:UnfinishedResources"] is not { } kept) continue;
            if (TimeSpan.TryParse(kept, CultureInfo.InvariantCulture, out var unfinished) && unfinished <= deadline)
                problems.Add($"{SectionName}:{nameof(Deadline)} ({deadline}) must be shorter than {retention}:UnfinishedResources ({unfinished}), " +
                             "which forgets deliveries still under way");
            break;
        }
        HubSettingsException.ThrowIfAny(problems);
        return new ClinicalDeliveryOptions { MaxAttempts = attempts, FirstRetryDelay = first, MaxRetryDelay = max, Deadline = deadline };
    }

    static TimeSpan Span(IConfigurationSection section, string name, TimeSpan fallback, List<string> problems)
    {
        if (section[name] is not { } text) return fallback;
        // A bare number would be read as days ("30" = 30 days): a time needs its colons.
        if (text.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value)
            && value > TimeSpan.Zero && value <= TimeSpan.FromDays(30))
            return value;
        problems.Add($"{SectionName}:{name} must be a time span (hh:mm:ss, or d.hh:mm:ss) above zero and at most 30 days, such as 00:00:30, got '{text}'");
        return fallback;
    }
}
