namespace IntegrationHub.Hosting.Observability;

/// <summary>How a failure is stored for operators (outbox rows, outbound-call records): its type and message, bounded.</summary>
internal static class OperatorErrors
{
    public const int MaxLength = 500;

    public static string Describe(Exception exception)
    {
        var error = $"{exception.GetType().Name}: {exception.Message}";
        return error.Length <= MaxLength ? error : error[..MaxLength] + "…";
    }
}
