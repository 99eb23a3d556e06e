using IntegrationHub.Hosting.Retention;

namespace IntegrationHub.Clinical.Hl7v2;

/// <summary>
/// <c>Hub:Clinical:Retention:Hl7v2DuplicateWindow</c> (default a day): how long the key of a handed-on HL7 v2 message
/// (sender and MSH-10, no content) is kept, which is how long a resend of it is recognised and ACKed again without a
/// second hand-off. How often and how many rows at once: <c>Hub:Retention</c>.
/// </summary>
public sealed class Hl7v2RetentionOptions : RetentionOptions
{
    public TimeSpan Hl7v2DuplicateWindow { get; set; } = TimeSpan.FromDays(1);

    /// <summary>
    /// How long the newest version of what was published about a patient is kept after the last message about them
    /// (default 400 days): a message older than that by source time, arriving later still, is published as latest.
    /// </summary>
    public TimeSpan SubjectVersions { get; set; } = TimeSpan.FromDays(400);

    public TimeSpan DuplicateWindow => Hl7v2DuplicateWindow;

    protected override IEnumerable<string> Problems() =>
        AtLeast(nameof(Hl7v2DuplicateWindow), Hl7v2DuplicateWindow, TimeSpan.FromMinutes(1), "1.00:00:00 for a day")
            .Concat(AtLeast(nameof(SubjectVersions), SubjectVersions, TimeSpan.FromDays(1), "400.00:00:00 for 400 days"));

    public static Hl7v2RetentionOptions From(IConfiguration configuration) =>
        From<Hl7v2RetentionOptions>(configuration, ClinicalEndpoint.EndpointName);
}

/// <summary>Removes the keys of handed-on messages once past the duplicate window (see <see cref="PruningService{TOptions}"/>).</summary>
internal sealed class Hl7v2RetentionService(IReceivedHl7v2Store store, ISubjectVersions versions, Hl7v2RetentionOptions options, TimeProvider time,
    ILogger<Hl7v2RetentionService> logger) : PruningService<Hl7v2RetentionOptions>(options, time, logger)
{
    protected override string Subject => "keys of received HL7 v2 messages and patients' versions";

    public override async Task PruneOnce(CancellationToken cancellationToken)
    {
        var before = Time.GetUtcNow() - Options.DuplicateWindow;
        var pruned = await Drain(batch => store.Prune(before, batch, cancellationToken), cancellationToken);
        if (pruned > 0)
            Logger.LogInformation("Pruned {Keys} keys of HL7 v2 messages received more than {Window} ago", pruned, Options.DuplicateWindow);
        var quiet = Time.GetUtcNow() - Options.SubjectVersions;
        var forgotten = await Drain(batch => versions.Prune(quiet, batch, cancellationToken), cancellationToken);
        if (forgotten > 0)
            Logger.LogInformation("Pruned the versions of {Patients} patients with no message for {Window}", forgotten, Options.SubjectVersions);
    }
}
