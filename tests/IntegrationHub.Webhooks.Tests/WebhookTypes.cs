namespace IntegrationHub.Webhooks.Tests;

/// <summary>The webhook types of the request events, as partners see them (declared on the contracts).</summary>
static class WebhookTypes
{
    public const string Completed = "request.completed";
    public const string Failed = "request.failed";
    public const string TimedOut = "request.timed-out";
}
